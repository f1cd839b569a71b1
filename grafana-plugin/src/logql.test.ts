// Every LogQL expression aifb ships is parsed by Grafana's own LogQL grammar (@grafana/lezer-logql,
// the parser Grafana's Loki editor uses): the dashboards' Loki queries, with their variables set as
// Grafana would set them, and the logs link the Runs and Run pages open in Explore.
import fs from 'fs';
import path from 'path';
import { parser } from '@grafana/lezer-logql';

import { logsExploreUrl } from './links';
import { Run } from './api';

const DASHBOARDS = path.resolve(__dirname, '../../dashboards');
const LOKI_UID = 'aifb-loki';

// What Grafana puts in place of each variable the queries use (a run id, a role, a search text, an
// interval); an unknown variable is left as it is, and the parser then refuses it.
const VALUES: Record<string, string> = {
  run_id: 'r-0123456789ab',
  role: 'client',
  search: 'error',
  __interval: '1m',
  __rate_interval: '1m',
  __range: '1h',
};

function substitute(expr: string): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (whole, braced, bare) => {
    const name = braced ?? bare;
    return name in VALUES ? VALUES[name] : whole;
  });
}

// Positions of the parser's error nodes in expr (none: the expression is LogQL).
function errorsIn(expr: string): number[] {
  const found: number[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) {
        found.push(node.from);
      }
    },
  });
  return found;
}

function lokiExpressions(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (file: string, o: unknown): void => {
    if (Array.isArray(o)) {
      o.forEach((v) => walk(file, v));
    } else if (o && typeof o === 'object') {
      const rec = o as Record<string, unknown>;
      const ds = rec.datasource as { uid?: string } | undefined;
      if (ds && ds.uid === LOKI_UID && typeof rec.expr === 'string') {
        out.push([file, rec.expr]);
      }
      Object.values(rec).forEach((v) => walk(file, v));
    }
  };
  for (const file of fs.readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'))) {
    walk(file, JSON.parse(fs.readFileSync(path.join(DASHBOARDS, file), 'utf8')));
  }
  return out;
}

describe('LogQL shipped with aifb', () => {
  it('the grammar refuses what is not LogQL', () => {
    expect(errorsIn('{app="aifb"')).not.toEqual([]);
    expect(errorsIn('{app="aifb"} |~ ')).not.toEqual([]);
    expect(errorsIn('{app="aifb", run_id="$run_id"}')).toEqual([]);
  });

  it('the dashboards have Loki queries, and every one of them parses', () => {
    const exprs = lokiExpressions();
    expect(exprs.length).toBeGreaterThanOrEqual(2);
    for (const [file, expr] of exprs) {
      const ready = substitute(expr);
      expect({ file, expr: ready, errors: errorsIn(ready) }).toEqual({ file, expr: ready, errors: [] });
    }
  });

  it('the logs link of a run opens a LogQL query of that run', () => {
    const run = { id: 'r-0123456789ab', created_at_ms: 1795900000000 } as unknown as Run;
    const url = logsExploreUrl(run);
    const pane = decodeURIComponent(url);
    const expr = /"expr":"((?:[^"\\]|\\.)*)"/.exec(pane);
    expect(expr).not.toBeNull();
    const query = JSON.parse(`"${expr![1]}"`);
    expect(query).toContain('run_id="r-0123456789ab"');
    expect(errorsIn(query)).toEqual([]);
  });
});
