// Small pieces the pages share: the error box with aifbd's sentence, a state badge, times,
// a Stop button that asks first, and a hook that polls a call on an interval.
import React, { useCallback, useEffect, useRef, useState } from 'react';
import { dateTimeFormat } from '@grafana/data';
import { Alert, Badge, BadgeColor, Button, ConfirmModal } from '@grafana/ui';
import { ApiError, apiError, canStartAndStop, isFinal, shortState } from '../api';

export function ErrorBox({ error, title }: { error?: ApiError; title: string }) {
  if (!error) {
    return null;
  }
  return (
    <Alert severity="error" title={title}>
      {error.message}
      {error.code ? ` (${error.code})` : ''}
    </Alert>
  );
}

const COLORS: Record<string, BadgeColor> = {
  RUNNING: 'blue',
  READY: 'blue',
  SUCCEEDED: 'green',
  FAILED: 'red',
  CANCELLED: 'orange',
  STOPPED: 'orange',
};

export function StateBadge({ state }: { state: string }) {
  const s = shortState(state);
  return <Badge text={s} color={COLORS[s] ?? 'purple'} />;
}

export function formatTime(ms: number): string {
  return ms ? dateTimeFormat(ms, { format: 'YYYY-MM-DD HH:mm:ss' }) : '';
}

export function formatDuration(fromMs: number, toMs: number): string {
  if (!fromMs) {
    return '';
  }
  const s = Math.max(0, Math.round(((toMs || Date.now()) - fromMs) / 1000));
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

interface StopProps {
  what: string;
  id: string;
  state: string;
  stop: (id: string) => Promise<unknown>;
  onDone: (error?: ApiError) => void;
}

// Stopping ends someone's benchmark: it always asks first, and only for what can still stop.
export function StopButton({ what, id, state, stop, onDone }: StopProps) {
  const [asking, setAsking] = useState(false);
  if (isFinal(state) || !canStartAndStop()) {
    return null;
  }
  const confirm = async () => {
    setAsking(false);
    try {
      await stop(id);
      onDone();
    } catch (e) {
      onDone(apiError(e));
    }
  };
  return (
    <>
      <Button size="sm" variant="destructive" icon="square-shape" onClick={() => setAsking(true)}>
        Stop
      </Button>
      <ConfirmModal
        isOpen={asking}
        title={`Stop ${what} ${id}?`}
        body={`aifbd will stop every process or job of ${what} ${id}. This cannot be undone.`}
        confirmText="Stop"
        onConfirm={confirm}
        onDismiss={() => setAsking(false)}
      />
    </>
  );
}

// Calls load() now and every periodMs (when periodMs > 0); keeps the last answer and the last
// error, and never lets an old answer overwrite a newer one.
export function usePoll<T>(load: () => Promise<T>, periodMs: number, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);

  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const d = await run();
      if (mine === generation.current) {
        setData(d);
        setError(undefined);
      }
    } catch (e) {
      if (mine === generation.current) {
        setError(apiError(e));
      }
    } finally {
      if (mine === generation.current) {
        setLoading(false);
      }
    }
  }, [run]);

  useEffect(() => {
    refresh();
    if (periodMs <= 0) {
      return undefined;
    }
    const t = setInterval(refresh, periodMs);
    return () => clearInterval(t);
  }, [refresh, periodMs]);

  return { data, error, loading, refresh };
}
