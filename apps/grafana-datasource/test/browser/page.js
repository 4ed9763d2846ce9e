// Runs in Chromium after host.js and dist/module.js. Grafana's backendSrv here is the browser's own
// fetch towards the test server, which answers like Grafana's data proxy.
(function () {
  const { modules, ReactDOMClient, Observable } = window.grafanaHost;
  const data = modules['@grafana/data'];
  const runtime = modules['@grafana/runtime'];
  const React = modules.react;

  runtime.setBackendSrv({
    fetch(options) {
      return new Observable((subscriber) => {
        const controller = new AbortController();
        fetch(options.url, {
          method: options.method || 'GET',
          headers: options.headers,
          body: options.data,
          signal: controller.signal,
        }).then(
          async (response) => {
            const text = await response.text();
            const answer = {
              status: response.status,
              statusText: response.statusText,
              ok: response.ok,
              data: text,
              headers: response.headers,
              url: options.url,
              config: options,
            };
            if (response.ok) {
              subscriber.next(answer);
              subscriber.complete();
            } else subscriber.error(answer);
          },
          (error) => {
            if (!controller.signal.aborted) subscriber.error(error);
          },
        );
        return () => controller.abort();
      });
    },
  });
  runtime.setTemplateSrv({ getVariables: () => [], replace: (text) => text ?? '', containsTemplate: () => false, updateTimeRange() {} });

  const plugin = window.pluginExports.plugin;
  const settings = window.instanceSettings;
  const datasource = new plugin.DataSourceClass(settings);

  window.runQuery = async (targets, fromMs, toMs) => {
    const range = { from: data.dateTime(fromMs), to: data.dateTime(toMs), raw: { from: 'x', to: 'y' } };
    const response = await datasource.query({
      requestId: 'b',
      interval: '1d',
      intervalMs: 86400000,
      range,
      scopedVars: {},
      targets,
      timezone: 'browser',
      app: 'dashboard',
      startTime: Date.now(),
    });
    return {
      errors: response.errors ?? [],
      frames: response.data.map((frame) => ({
        refId: frame.refId,
        notices: (frame.meta && frame.meta.notices) || [],
        fields: frame.fields.map((f) => ({
          name: f.name,
          type: f.type,
          unit: f.config.unit,
          displayName: f.config.displayName,
          values: Array.from(f.values),
        })),
      })),
    };
  };
  window.testDatasource = () => datasource.testDatasource();

  window.queryChanges = [];
  function Panel() {
    const [query, setQuery] = React.useState({
      refId: 'A',
      endpoint: 'corp',
      metrics: ['session_cnt'],
      format: 'time_series',
      aggregation: 'daily',
      fillPolicy: 'null',
      language: 'en',
    });
    return React.createElement(plugin.components.QueryEditor, {
      datasource,
      query,
      onChange: (next) => {
        window.queryChanges.push(next);
        setQuery(next);
      },
      onRunQuery: () => {},
    });
  }
  ReactDOMClient.createRoot(document.getElementById('query-editor')).render(React.createElement(Panel));
  ReactDOMClient.createRoot(document.getElementById('config-editor')).render(
    React.createElement(plugin.components.ConfigEditor, {
      options: { ...settings, jsonData: settings.jsonData, secureJsonFields: window.secureJsonFields || {} },
      onOptionsChange: () => {},
    }),
  );
  window.pageReady = true;
})();
