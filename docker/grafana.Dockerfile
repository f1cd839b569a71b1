# Grafana for aifb, in docker/docker-compose.yml and k8s/grafana.yaml: Grafana Labs' own Debian
# package (apt.grafana.com) on Debian 12, with the aifb plugin inside and its backend, gpx_aifb,
# built here with the project's CMake. Why not Grafana's container image: gpx_aifb is linked
# against Debian 12's gRPC, protobuf-c and json-c (docs/grafana-plugin.md) and Grafana's image is
# Alpine (musl), where it cannot run; here it runs beside the very libraries it was built with.
#
#   docker build -f docker/grafana.Dockerfile -t aifb/grafana .     (from the repository's root)
#
# The plugin's frontend is built in a stage of its own (Node.js 20, npm ci && npm run build), so
# the image needs nothing built beforehand. The plugin folder is assembled when the container
# starts (docker/grafana-entrypoint.sh): the image's frontend and plugin.json files, then a dist/
# mounted at /opt/aifb/dist over them when there is one (compose mounts grafana-plugin/dist, for
# frontend work without a new image); the backend executable is always the image's own.

ARG GRAFANA_VERSION=13.1.0

FROM node:20-bookworm-slim AS frontend
WORKDIR /src/grafana-plugin
COPY grafana-plugin/package.json grafana-plugin/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY grafana-plugin/ ./
# The backend is not in this stage: the build says so and leaves it out of dist/.
RUN npm run build

FROM debian:12 AS build
# Build packages: those of scripts/install-deps.sh for building, without the test frameworks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       build-essential cmake pkg-config \
       libgrpc-dev protobuf-c-compiler libprotobuf-c-dev \
       libsqlite3-dev libjson-c-dev libcurl4-openssl-dev libssh2-1-dev libyaml-dev libsnappy-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DAIFB_TESTS=OFF \
    && cmake --build /build -j"$(nproc)" --target gpx_aifb
# The plugin's files without the executable: the frontend stage's dist/ (with plugin.json of the
# app and of its nested data source, their version filled in).
COPY --from=frontend /src/grafana-plugin/dist /plugin
RUN rm -f /plugin/gpx_aifb_*

FROM debian:12-slim
ARG GRAFANA_VERSION
# Grafana's user first, with the uid and gid of Grafana's own images (472), which volumes and
# k8s/grafana.yaml's fsGroup expect; the package keeps a user that exists.
RUN groupadd --system --gid 472 grafana \
    && useradd --system --uid 472 --gid grafana --home-dir /usr/share/grafana \
       --shell /usr/sbin/nologin grafana
# Grafana from its repository, as Grafana's documentation installs it on Debian, and the shared
# libraries gpx_aifb links; the repository's tools go again afterwards.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
    && install -d -m 0755 /etc/apt/keyrings \
    && curl -fsSL https://apt.grafana.com/gpg.key | gpg --dearmor -o /etc/apt/keyrings/grafana.gpg \
    && echo "deb [signed-by=/etc/apt/keyrings/grafana.gpg] https://apt.grafana.com stable main" \
       > /etc/apt/sources.list.d/grafana.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends grafana=${GRAFANA_VERSION} \
       libgrpc29 libatomic1 libprotobuf-c1 libjson-c5 \
    && apt-get purge -y curl gnupg && apt-get autoremove -y \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/bin/gpx_aifb /usr/local/lib/aifb/
COPY --from=build /plugin /usr/local/lib/aifb/plugin
COPY docker/grafana-entrypoint.sh /usr/local/bin/aifb-grafana
# Grafana's paths as its own images set them, but the plugins outside /var/lib/grafana, which a
# volume covers (compose and Kubernetes).
ENV GF_PATHS_HOME=/usr/share/grafana \
    GF_PATHS_CONFIG=/etc/grafana/grafana.ini \
    GF_PATHS_DATA=/var/lib/grafana \
    GF_PATHS_LOGS=/var/log/grafana \
    GF_PATHS_PLUGINS=/var/lib/grafana-plugins \
    GF_PATHS_PROVISIONING=/etc/grafana/provisioning \
    GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=aifb-controlplane-app,aifb-controlplane-datasource
RUN install -d -o grafana -g grafana /var/lib/grafana /var/log/grafana /var/lib/grafana-plugins
USER grafana
WORKDIR /usr/share/grafana
EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/aifb-grafana"]
