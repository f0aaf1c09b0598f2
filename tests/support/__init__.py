"""Test-support layer shared by every kvfake test: RESP oracle (resp), raw TCP client (raw), real
redis-server launcher (redis_server). Never imports kvfake internals."""
