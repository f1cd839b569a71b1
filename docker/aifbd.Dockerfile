# aifbd's image: the daemon, the aifb CLI and the agents it starts beside every role of a run
# (aifb-monitor, aifb-logship, aifb-loadgen, aifb-llmsim: aifbd looks for them beside its own
# executable), with the recipes. Two stages on Debian 12: the first builds with the project's CMake
# (Release, no unit tests), the second holds only the programs and their shared libraries, and
# runs as the unprivileged user aifb with its state (SQLite, run folders) in /var/lib/aifb.
#
#   docker build -f docker/aifbd.Dockerfile -t aifb/aifbd .        (from the repository's root)
#
# aifbd listens on 0.0.0.0:50051 here, which it refuses without AIFB_TOKEN (16 characters or
# more): give it with `-e AIFB_TOKEN=...`. docker/docker-compose.yml and k8s/aifbd.yaml do.
# Recipes whose service is not in this image (redis, postgres-pgbench, vllm and ollama need
# redis-server, PostgreSQL or a Slurm cluster) fail with the missing command named.

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
    && cmake --build /build -j"$(nproc)" \
       --target aifbd aifb aifb-monitor aifb-logship aifb-loadgen aifb-llmsim

FROM debian:12-slim
# The shared libraries the programs above link, and ssh for the slurm-ssh executor.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       ca-certificates openssh-client \
       libgrpc29 libatomic1 libprotobuf-c1 libsqlite3-0 libjson-c5 libcurl4 libssh2-1 libyaml-0-2 \
       libsnappy1v5 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 aifb \
    && useradd --system --uid 10001 --gid aifb --home-dir /var/lib/aifb --shell /usr/sbin/nologin aifb \
    && install -d -o aifb -g aifb -m 0755 /var/lib/aifb
COPY --from=build /build/bin/aifbd /build/bin/aifb /build/bin/aifb-monitor /build/bin/aifb-logship \
     /build/bin/aifb-loadgen /build/bin/aifb-llmsim /usr/local/bin/
# aifbd finds its recipes in ../share/aifb/recipes beside its executable.
COPY recipes/ /usr/local/share/aifb/recipes/
ENV AIFB_LISTEN=0.0.0.0:50051 \
    AIFB_STATE_DIR=/var/lib/aifb \
    AIFB_RECIPES_DIR=/usr/local/share/aifb/recipes
USER aifb
WORKDIR /var/lib/aifb
VOLUME /var/lib/aifb
EXPOSE 50051
# The CLI sends $AIFB_TOKEN, which the container has.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s \
    CMD ["aifb", "--server", "127.0.0.1:50051", "info"]
ENTRYPOINT ["aifbd"]
