"""The service tallyd's HTTP API replaces: Flask + redis-py in front of redis-server
(appendfsync always), run with gunicorn. bench/http.py starts it; its REDIS_PORT env var
points at the redis-server."""
import os

import redis
from flask import Flask, jsonify, request

app = Flask(__name__)
r = redis.Redis(port=int(os.environ.get("REDIS_PORT", "6379")))


@app.post("/v1/counters/<key>/incr")
def incr(key):
    body = request.get_json(silent=True) or {}
    by = body.get("by", 1)
    if not isinstance(by, int):
        return jsonify(error={"code": "BADREQUEST", "message": '"by" must be an integer'}), 400
    try:
        return jsonify(key=key, value=r.incrby(key, by))
    except redis.ResponseError as e:
        return jsonify(error={"code": "ERR", "message": str(e)}), 409


@app.get("/v1/counters/<key>")
def get(key):
    v = r.get(key)
    if v is None:
        return jsonify(error={"code": "NOTFOUND", "message": "no such key"}), 404
    return jsonify(key=key, value=int(v))
