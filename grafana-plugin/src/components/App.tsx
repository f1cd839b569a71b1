// The app's routes under /a/aifb-controlplane-app/: runs (the default), runs/<id>, recipes,
// recipes/<name> and services. Pages load lazily so Grafana fetches only the one shown.
import React, { Suspense, lazy } from 'react';
import { Route, Routes } from 'react-router-dom';
import { AppRootProps } from '@grafana/data';
import { LoadingPlaceholder } from '@grafana/ui';
import { ROUTES } from '../constants';

const Runs = lazy(() => import('../pages/Runs'));
const Run = lazy(() => import('../pages/Run'));
const Recipes = lazy(() => import('../pages/Recipes'));
const Services = lazy(() => import('../pages/Services'));

export function App(_props: AppRootProps) {
  return (
    <Suspense fallback={<LoadingPlaceholder text="Loading…" />}>
      <Routes>
        <Route path={`${ROUTES.Runs}/:id`} element={<Run />} />
        <Route path={`${ROUTES.Recipes}/:name`} element={<Recipes />} />
        <Route path={ROUTES.Recipes} element={<Recipes />} />
        <Route path={ROUTES.Services} element={<Services />} />
        <Route path="*" element={<Runs />} />
      </Routes>
    </Suspense>
  );
}

export default App;
