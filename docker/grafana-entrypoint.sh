#!/bin/sh
# The Grafana image's entry point (docker/grafana.Dockerfile): puts the aifb plugin together in
# Grafana's plugin folder, then runs Grafana in its place. The plugin's files come from the image,
# then from a grafana-plugin/dist mounted at /opt/aifb/dist (docker/docker-compose.yml mounts it,
# so a rebuilt frontend needs no new image); the backend executable always comes from the image,
# since it must match the image's libraries.
set -eu
dest="$GF_PATHS_PLUGINS/aifb-controlplane-app"
rm -rf "$dest"
mkdir -p "$dest"
cp -R /usr/local/lib/aifb/plugin/. "$dest/"
if [ -d /opt/aifb/dist ]; then
  cp -R /opt/aifb/dist/. "$dest/"
fi
cp /usr/local/lib/aifb/gpx_aifb "$dest/gpx_aifb_linux_amd64"
exec grafana server --homepath="$GF_PATHS_HOME" --config="$GF_PATHS_CONFIG" "$@"
