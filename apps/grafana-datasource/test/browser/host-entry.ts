// The Grafana side of the browser test page: the real @grafana packages, React and rxjs, bundled
// for the browser and handed to the plugin's AMD module the way Grafana's loader does.
import * as data from '@grafana/data';
import * as runtime from '@grafana/runtime';
import * as ui from '@grafana/ui';
import * as React from 'react';
import * as jsxRuntime from 'react/jsx-runtime';
import * as ReactDOMClient from 'react-dom/client';
import { Observable } from 'rxjs';

(window as unknown as { grafanaHost: unknown }).grafanaHost = {
  modules: { '@grafana/data': data, '@grafana/runtime': runtime, '@grafana/ui': ui, react: React, 'react/jsx-runtime': jsxRuntime },
  ReactDOMClient,
  Observable,
};
