# The course's compose demo: a Flask app that counts its visits in the
# PostgreSQL database at DATABASE_URL (the db service, by its name).
import os
import time

import psycopg2
from flask import Flask

app = Flask(__name__)


def connect():
    # The database may still be starting (its first start initialises
    # it): try for half a minute.
    for attempt in range(300):
        try:
            return psycopg2.connect(os.environ["DATABASE_URL"])
        except psycopg2.OperationalError:
            if attempt == 299:
                raise
            time.sleep(0.1)


@app.route("/")
def hello():
    conn = connect()
    try:
        with conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS visits (at timestamptz DEFAULT now())")
            cur.execute("INSERT INTO visits DEFAULT VALUES")
            cur.execute("SELECT count(*) FROM visits")
            count = cur.fetchone()[0]
    finally:
        conn.close()
    return f"Hello, World! This page has been visited {count} times.\n"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
