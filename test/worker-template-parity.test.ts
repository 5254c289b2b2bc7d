/**
 * YAML templates (nunjucks, TypeScript) and Python DAG files' templates (Jinja in the Python task runner)
 * must render alike: the same template and the same try give the same text, or the same error.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PYTHON_PACKAGE_DIR, pythonExecutable } from '../src/python-package.js';
import { buildTemplateContext, renderTemplate } from '../src/worker/index.js';
import { runnerContext } from '../src/worker/operators/task-runner.js';
import { taskInstanceFields } from '../src/worker/template-context.js';
import { bashTask, makePayload } from './worker-harness.js';

const TEMPLATES = [
  '{{ ds }} {{ ds_nodash }} {{ ts }} {{ ts_nodash }} {{ ts_nodash_with_tz }}',
  '{{ logical_date }} {{ data_interval_start }} {{ data_interval_end }}',
  // Date objects print as pendulum 3 prints them (`str()`, a space); `ts` and `isoformat()` keep the `T`.
  "{{ dag_run.logical_date }}|{{ logical_date ~ '' }}|{{ logical_date | string }}|{{ logical_date.isoformat() }}",
  "{{ [logical_date, data_interval_end] }} {{ {'at': dag_run.logical_date} }} {{ [logical_date.date()] }}",
  "{{ logical_date.add(hours=36) }}|{{ data_interval_end - macros.timedelta(hours=1) }}|{{ logical_date.in_timezone('Asia/Kolkata') }}",
  '{{ run_id }} {{ dag.dag_id }} {{ task.task_id }} {{ ti.try_number }} {{ task_instance_key_str }}',
  '{{ params.x }} {{ params.y }} {{ dag_run.conf.y }} {{ dag_run.run_type }} {{ params }}',
  "{{ dag_run.conf.get('nope', 'fallback') }} {% for k, v in dag_run.conf.items() %}{{ k }}={{ v }}{% endfor %}",
  "{{ macros.ds_add(ds, 3) }} {{ macros.ds_format(ds, '%Y-%m-%d', '%d/%m/%y') }}",
  "{{ logical_date.strftime('%A %j') }} {{ logical_date | ds_nodash }} {{ data_interval_end | ts }}",
  // Two pendulum dates subtract to pendulum 3's Interval, printed with its ends, a timedelta otherwise.
  "{{ data_interval_end - data_interval_start }}|{{ [data_interval_start - data_interval_end] }}|{{ (data_interval_end - data_interval_start).in_seconds() }}",
  "{{ (data_interval_end - data_interval_start).in_hours() }} {{ (data_interval_end - data_interval_start).in_days() }} {{ (data_interval_end - data_interval_start).in_words() }} {{ (data_interval_end - data_interval_start).start }} {{ (data_interval_end - data_interval_start).end | ts }}",
  "{{ (logical_date.add(months=1, days=2, hours=3) - logical_date).in_words() }}|{{ (logical_date - logical_date.add(hours=2)).days }}|{{ (logical_date - logical_date.add(hours=2)).in_words() }}|{{ (logical_date.add(days=40) - logical_date).in_months() }}",
  "{{ (logical_date + macros.timedelta(days=1, hours=2)).strftime('%Y-%m-%d %H') }} {{ (data_interval_end - data_interval_start).days }}",
  "{{ macros.timedelta(minutes=90) }} {{ macros.datetime(2024, 2, 3) | ds }} {{ macros.datetime.strptime(ds, '%Y-%m-%d').year }}",
  // Python's datetime is naive: no offset in str(), isoformat(), `ts` or %z; arithmetic keeps it naive.
  "{{ macros.datetime(2024, 2, 3) }}|{{ macros.datetime(2024, 2, 3, 4, 5, 6) | ts }}|{{ macros.datetime.strptime(ds, '%Y-%m-%d') + macros.timedelta(hours=1) }}",
  "{{ macros.datetime.strptime('2024-01-01 +0200', '%Y-%m-%d %z').strftime('%z') }}|{{ macros.datetime(2024, 2, 3).strftime('[%z]') }}|{{ macros.datetime(2024, 2, 3).isoformat() }}",
  // pendulum methods DAG authors call on the context's dates.
  "{{ logical_date.date() }}|{{ logical_date.replace(day=15, hour=5) }}|{{ logical_date.add(days=40).start_of('month') }}|{{ logical_date.to_iso8601_string() }}|{{ logical_date.int_timestamp }}",
  "{{ logical_date.date().isoformat() }}|{{ logical_date.date().strftime('%d/%m') }}|{{ logical_date.date().year }}",
  '{{ execution_date }} {{ next_ds }} {{ yesterday_ds_nodash }} {{ tomorrow_ds }}',
  '{{ prev_data_interval_start_success }} {{ prev_data_interval_end_success }} {{ prev_start_date_success }} {{ prev_end_date_success }}',
  '{{ prev_ds }}',
  '{{ prev_execution_date }}',
  '{{ [1, 2] + [3] }} {{ 7 // 2 }} {{ 2 ** 3 }} {{ True }} {{ None }} {{ "a" ~ 1 }}',
  '{% if params.x > 0 %}pos{% else %}neg{% endif %} {{ nope | default("d") }} {{ nope is defined }}',
  "{% if [] %}a{% else %}b{% endif %} {{ 'y' if dag_run.conf.get('none', {}) else 'n' }} {{ not [] }} {{ not params }}",
  '{% if params.x %}{% if not params.missing is defined %}nested{% endif %}{% endif %}',
  "{{ [] or 'x' }} {{ 'a' and [] }} {{ params.x and 'yes' }} {{ dag_run.conf.get('z') or 'dflt' }} {{ 0 or None }}",
  '{% if params.x and not [] %}both{% endif %} {% if [] or {} %}t{% else %}f{% endif %}',
  '{% for k in dag_run.conf %}{{ k }};{% endfor %} {% for x in [3, 1] %}{{ loop.index }}{{ x }}{% endfor %} {{ params | length }}',
  "{{ 'abc' | upper }} {{ [3, 1, 2] | sort }} {{ ['a', 'b'] | join('-') }} {{ 'x' | replace('x', 'y') }} {{ -3 | abs }}",
  "{{ ds[-2] }} {{ [1, 2, 3][-1] }} {{ 'a,b'.split(',') }} {{ 10 / 4 }} {{ 10 % 3 }}",
  "{{ ds[:4] }} {{ ds[5:7] }} {{ ds_nodash[-4:] }} {{ [1, 2, 3, 4][1:-1] }} {{ [1, 2, 3][::-1] }} {{ 'abcde'[::2] }} {{ ds[:4] | int + 1 }}",
  '{{ [1, 2][5:] }} {{ ds[3:1] }} {{ params.y[:4] }} {{ [1, 2, 3][1:][0] }}',
  '{% if nope %}x{% endif %}',
  "{{ nope or 'x' }}",
  '{{ 1 if params.nope else 2 }}',
  '{{ nope }}',
  '{{ params.missing }}',
  '{{ nope.deeper }}',
];

/** Renders each template with the Python runtime (jinja2, or the stand-in when told to hide jinja2). */
function renderInPython(payload: ReturnType<typeof makePayload>, templates: string[], hideJinja2: boolean): string[] {
  const script = `
import json, sys
if ${hideJinja2 ? 'True' : 'False'}:
    sys.modules["jinja2"] = None
from airflow_serverless.runtime.runner import setup_sys_path
setup_sys_path(None)
from airflow_serverless.runtime.context import build_context
from airflow_serverless.runtime.templating import Renderer
spec, templates = json.load(sys.stdin)
renderer = Renderer(build_context(spec))
out = []
for template in templates:
    try:
        out.append(str(renderer.render(template)))
    except Exception as error:
        out.append("ERROR %s: %s" % (type(error).__name__, error))
print(json.dumps(out))
`;
  const spec = { volume_root: '/nonexistent', ti: taskInstanceFields(payload), context: runnerContext(payload) };
  const result = spawnSync(pythonExecutable(), ['-c', script], {
    cwd: PYTHON_PACKAGE_DIR,
    input: JSON.stringify([spec, templates]),
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as string[];
}

function renderInTypeScript(payload: ReturnType<typeof makePayload>, template: string): string {
  try {
    return String(renderTemplate(template, buildTemplateContext(payload, () => undefined)));
  } catch (error) {
    // "Template error in '...': UndefinedError: 'x' is undefined" -> the part Jinja would print.
    const message = (error as Error).message;
    return `ERROR ${message.slice(message.indexOf(': ') + 2)}`;
  }
}

describe('YAML and Python templates render alike', () => {
  for (const [renderer, hideJinja2] of [['jinja2', false], ['the stand-in renderer (jinja2 hidden)', true]] as const) {
    it(`gives the same text or the same error for the same try: ${renderer}`, () => {
      const payload = makePayload(bashTask({}));
      const python = renderInPython(payload, TEMPLATES, hideJinja2);
      TEMPLATES.forEach((template, i) => {
        expect(renderInTypeScript(payload, template), template).toBe(python[i]);
      });
    });
  }
});
