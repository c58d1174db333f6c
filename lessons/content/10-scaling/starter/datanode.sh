# A datanode serves on port 9864 (where a real one serves its blocks of
# data), then registers with the namenode: it writes its name, its host
# name, into the folder /cluster/datanodes of the volume it shares with
# the namenode.
name=$(hostname)
mkdir -p /data /cluster/datanodes
echo "datanode $name" > /data/index.html
httpd -f -p 9864 -h /data &
touch "/cluster/datanodes/$name"
echo "datanode $name: registered with the namenode"
wait
