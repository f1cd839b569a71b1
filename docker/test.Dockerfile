# The test suite's image: Debian 12 with everything scripts/install-deps.sh --test installs (the
# build tools, redis-server, PostgreSQL, Prometheus, a single-node Slurm, sshd, python3-grpcio...)
# and the repository. docker/docker-compose.test.yml runs scripts/test.sh in it. It runs as root,
# as the suite does (it starts Slurm's daemons, PostgreSQL as the postgres user, an sshd).

FROM debian:12
ENV DEBIAN_FRONTEND=noninteractive
COPY scripts/install-deps.sh /tmp/install-deps.sh
RUN bash /tmp/install-deps.sh --test && rm -rf /var/lib/apt/lists/* /tmp/install-deps.sh
WORKDIR /src
COPY . .
CMD ["bash", "scripts/test.sh"]
