"""A pack that starts but never prints its port."""

import time

time.sleep(60)
