# The namenode keeps the list of live datanodes. A datanode registers
# by writing its name into /cluster/datanodes, a folder in the volume
# they share. Every 2 seconds the namenode asks each registered
# datanode, by its name, whether it is still there, and writes the
# names of the live ones into datanodes.txt, which it serves on port
# 9870 (http://namenode:9870/datanodes.txt).
mkdir -p /cluster/datanodes /www
touch /www/datanodes.txt
httpd -f -p 9870 -h /www &
echo "namenode: serving the list of datanodes on port 9870"
while true; do
  live=""
  for f in /cluster/datanodes/*; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    if http-get -T 1 "http://$name:9864/" > /dev/null 2>&1; then
      grep -qx "$name" /www/datanodes.txt || echo "namenode: datanode $name joined"
      live="$live $name"
    else
      rm -f "$f"
      echo "namenode: datanode $name is gone"
    fi
  done
  printf '%s\n' $live > /www/datanodes.new
  mv /www/datanodes.new /www/datanodes.txt
  sleep 2
done
