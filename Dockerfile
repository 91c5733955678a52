# Shopcast server image. Configuration comes from SHOPCAST_* variables (see README).
# The pages' Socket.IO client comes from npm, installed from web/package-lock.json.
FROM node:20-bookworm-slim AS pages
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# The dependencies, exactly as locked (hash-checked), in a layer of their own: av and aiortc ship
# manylinux wheels with their codecs, so no compiler or ffmpeg packages are needed.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock && useradd --system --uid 10001 shopcast

# The app itself, on those dependencies only (--no-deps: nothing resolved past the lock).
COPY pyproject.toml README.md ./
COPY server ./server
COPY media ./media
COPY chat ./chat
COPY web ./web
COPY --from=pages /web/node_modules ./web/node_modules
RUN pip install --no-deps .

USER shopcast
EXPOSE 8080
# WebRTC media uses UDP on ephemeral ports: run with host networking or publish a UDP range.
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz').status != 200)"
# `serve` refuses a schema that is behind: run `shopcast migrate` (this image, the same variables)
# before starting nodes; nodes migrating at once migrate once.
CMD ["shopcast", "serve", "--host", "0.0.0.0", "--port", "8080"]
