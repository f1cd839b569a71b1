# Grafana with the aifb app inside, for a cluster (k8s/grafana.yaml), where a folder of the host
# cannot be mounted as docker/docker-compose.yml does: the official image plus the built plugin
# (grafana-plugin/dist, a build output: `npm ci && npm run build` and the backend gpx_aifb, see
# docs/deploy.md). Everything else (data sources, the app's settings, dashboards) comes from
# provisioning/grafana and dashboards/ through k8s/configmaps.yaml.
#
#   docker build -f docker/grafana.Dockerfile -t aifb/grafana .     (from the repository's root)

ARG GRAFANA_VERSION=13.1.0
FROM grafana/grafana:${GRAFANA_VERSION}
# Outside /var/lib/grafana, which k8s/grafana.yaml covers with a persistent volume.
ENV GF_PATHS_PLUGINS=/opt/grafana/plugins \
    GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=aifb-controlplane-app,aifb-controlplane-datasource
COPY --chown=472:0 grafana-plugin/dist /opt/grafana/plugins/aifb-controlplane-app
