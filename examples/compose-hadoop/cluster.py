# A namenode and its datanodes, Hadoop's roles in a few lines of Python:
#   python cluster.py namenode   serves :9870; GET /datanodes lists the
#                                datanodes that registered and answer
#   python cluster.py datanode   serves :9864 and registers with
#                                $NAMENODE every few seconds
import json
import os
import socket
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

datanodes = {}  # name -> time of its last registration
lock = threading.Lock()


class NameNode(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/register":
            return self.send_error(404)
        name = self.rfile.read(int(self.headers["Content-Length"])).decode()
        with lock:
            new = name not in datanodes
            datanodes[name] = time.time()
        if new:
            print("namenode: datanode", name, "registered", flush=True)
        self.reply({"registered": name})

    def do_GET(self):
        if self.path != "/datanodes":
            return self.send_error(404)
        with lock:
            names = sorted(datanodes)
        live = []
        for name in names:
            # checked back by the name it gave: the network's DNS
            try:
                with urllib.request.urlopen(f"http://{name}:9864/", timeout=2) as r:
                    live.append(json.load(r)["datanode"])
            except OSError as e:
                print("namenode: datanode", name, "does not answer:", e, flush=True)
        self.reply({"live": live, "count": len(live)})

    def reply(self, obj):
        body = (json.dumps(obj) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class DataNode(NameNode):
    def do_GET(self):
        self.reply({"datanode": socket.gethostname()})


def register():
    name = socket.gethostname()
    url = os.environ.get("NAMENODE", "http://namenode:9870") + "/register"
    registered = False
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(url, data=name.encode()), timeout=2).read()
            if not registered:
                print("datanode", name, "registered with", url, flush=True)
                registered = True
        except OSError as e:
            print("datanode", name, "cannot reach the namenode yet:", e, flush=True)
        time.sleep(1 if not registered else 5)


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else ""
    if role == "namenode":
        print("namenode: serving on :9870", flush=True)
        ThreadingHTTPServer(("", 9870), NameNode).serve_forever()
    elif role == "datanode":
        threading.Thread(target=register, daemon=True).start()
        ThreadingHTTPServer(("", 9864), DataNode).serve_forever()
    else:
        sys.exit("usage: python cluster.py namenode|datanode")
