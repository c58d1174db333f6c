# Prints the response to a request to $URL. The service it asks may
# still be starting: try for half a minute.
import os
import time

import requests

url = os.environ.get("URL", "https://api.github.com")
for attempt in range(60):
    try:
        response = requests.get(url, timeout=10)
        break
    except requests.ConnectionError:
        if attempt == 59:
            raise
        time.sleep(0.5)
print(response.status_code, url)
print(response.text)
