# The agents' image: aifb-loadgen, aifb-llmsim, aifb-monitor and aifb-logship on their own, for a
# load client run from anywhere, a simulated LLM server, or agents beside a service that aifbd
# does not start (docs/loadgen.md, docs/llmsim.md, docs/monitor.md, docs/logship.md). Two stages
# on Debian 12: the project's CMake builds them, the second stage holds only the programs and their
# shared libraries and runs as the unprivileged user aifb.
#
#   docker build -f docker/agents.Dockerfile -t aifb/agents .      (from the repository's root)
#   docker run --rm aifb/agents aifb-llmsim --listen 0.0.0.0:8000

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
       --target aifb-monitor aifb-logship aifb-loadgen aifb-llmsim

FROM debian:12-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       ca-certificates libprotobuf-c1 libjson-c5 libcurl4 libssh2-1 libsnappy1v5 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 aifb \
    && useradd --system --uid 10001 --gid aifb --home-dir /home/aifb --create-home \
       --shell /usr/sbin/nologin aifb
COPY --from=build /build/bin/aifb-monitor /build/bin/aifb-logship /build/bin/aifb-loadgen \
     /build/bin/aifb-llmsim /usr/local/bin/
USER aifb
WORKDIR /home/aifb
CMD ["aifb-loadgen", "--help"]
