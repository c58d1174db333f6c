#!/bin/sh
# app.sh greets everyone named after it (./app.sh Ann Bob) with the
# greeting in greeting.txt, in capitals when the variable STYLE is loud.
for name in "$@"; do
  line="$(cat greeting.txt), $name!"
  if [ "$STYLE" = loud ]; then
    line=$(echo "$line" | tr a-z A-Z)
  fi
  echo "$line"
done
