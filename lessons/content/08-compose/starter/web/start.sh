# What the web container runs (CMD in the Dockerfile).
#
# When the variable DB_URL is set, it first fetches the note that the db
# service keeps there and puts it on the site as note.txt. It tries a few
# times: db may still be starting. Then it serves the folder /site on
# port 8080, and logs every request (-v).
if [ -n "$DB_URL" ]; then
  for try in 1 2 3 4 5 6 7 8 9 10; do
    if http-get "$DB_URL" > /site/note.txt; then
      echo "web: got the note from $DB_URL"
      break
    fi
    echo "web: waiting for $DB_URL"
    sleep 1
  done
fi
exec httpd -v -p 8080 -h /site
