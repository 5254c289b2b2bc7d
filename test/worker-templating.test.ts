import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import { buildTemplateContext, renderTemplate, TemplateRenderError, volumeXcomReader, writeXcom, type XcomReader } from '../src/worker/index.js';
import { dsAdd, dsFormat, strftime, strptime } from '../src/worker/python-datetime.js';
import { RUN_ID, bashTask, makePayload } from './worker-harness.js';

const xcoms: Record<string, unknown> = { a: 'from-a', b: { k: [1, 'two'] }, t: 'mine' };
const reader: XcomReader = (source, key) =>
  key === 'return_value' && source.task_id in xcoms && source.run_id === RUN_ID
    ? { ...source, key, value: xcoms[source.task_id], timestamp: '2024-01-02T00:00:00.000Z' }
    : key === 'custom' && source.task_id === 'a'
      ? { ...source, key, value: 'custom-a', timestamp: '2024-01-02T00:00:00.000Z' }
      : undefined;

const context = buildTemplateContext(makePayload(bashTask({})), reader);
const render = (template: string) => renderTemplate(template, context);

describe('template context', () => {
  it('has Airflow\'s date names for a run with a logical date', () => {
    expect(render('{{ ds }}|{{ ds_nodash }}|{{ ts }}|{{ ts_nodash }}|{{ ts_nodash_with_tz }}')).toBe(
      '2024-01-01|20240101|2024-01-01T00:00:00+00:00|20240101T000000|20240101T000000+0000',
    );
    expect(render('{{ logical_date }}|{{ data_interval_start }}|{{ data_interval_end }}')).toBe(
      '2024-01-01 00:00:00+00:00|2024-01-01 00:00:00+00:00|2024-01-02 00:00:00+00:00',
    );
    expect(render('{{ task_instance_key_str }}')).toBe('d__t__20240101');
  });

  it('prints date objects as pendulum 3 does (Airflow 3), keeping the `T` in isoformat() and JSON', () => {
    expect(render("{{ logical_date ~ '|' }}{{ logical_date | string }}|{{ logical_date.isoformat() }}|{{ logical_date.add(microseconds=250000) }}")).toBe(
      '2024-01-01 00:00:00+00:00|2024-01-01 00:00:00+00:00|2024-01-01T00:00:00+00:00|2024-01-01 00:00:00.250000+00:00',
    );
    expect(render("{{ [logical_date] }}|{{ [logical_date.in_timezone('Europe/Paris')] }}")).toBe(
      "[DateTime(2024, 1, 1, 0, 0, 0, tzinfo=Timezone('UTC'))]|[DateTime(2024, 1, 1, 1, 0, 0, tzinfo=Timezone('Europe/Paris'))]",
    );
    expect(renderTemplate('{{ logical_date }}', context, { native: true })).toBe('2024-01-01T00:00:00+00:00');
  });

  it("gives macros.datetime's naive datetimes Python's forms, and the context's dates pendulum's methods", () => {
    expect(render("{{ macros.datetime(2024, 2, 3) }}|{{ macros.datetime(2024, 2, 3, 4, 5, 6) | ts }}|{{ [macros.datetime(2024, 2, 3)] }}|{{ [macros.datetime(2024, 2, 3, 0, 0, 7)] }}")).toBe(
      '2024-02-03 00:00:00|2024-02-03T04:05:06|[datetime.datetime(2024, 2, 3, 0, 0)]|[datetime.datetime(2024, 2, 3, 0, 0, 7)]',
    );
    expect(render("{{ macros.datetime.strptime(ds, '%Y-%m-%d') + macros.timedelta(hours=1) }}|{{ macros.datetime.fromisoformat('2024-05-06T07:08:09') }}")).toBe(
      '2024-01-01 01:00:00|2024-05-06 07:08:09',
    );
    expect(() => render("{{ macros.datetime.strptime(ds, '%Y-%m-%d') - logical_date }}")).toThrow("can't subtract offset-naive and offset-aware datetimes");
    expect(render("{{ logical_date.date() }}|{{ [logical_date.date()] }}|{{ logical_date.replace(day=15, hour=5) }}|{{ logical_date.add(days=40).start_of('month') }}")).toBe(
      '2024-01-01|[Date(2024, 1, 1)]|2024-01-15 05:00:00+00:00|2024-02-01 00:00:00+00:00',
    );
    expect(render('{{ logical_date.to_iso8601_string() }}|{{ logical_date.int_timestamp }}')).toBe('2024-01-01T00:00:00Z|1704067200');
    expect(() => render("{{ logical_date.start_of('decade') }}")).toThrow("start_of(): unit must be one of");
    expect(() => render('{{ logical_date.replace(month=2, day=30) }}')).toThrow('replace():');
  });

  it('keeps the Airflow 2 date names Airflow 3 removed, derived from the Airflow 3 ones', () => {
    expect(render('{{ execution_date }}|{{ dag_run.execution_date | ds }}|{{ next_execution_date | ds }}')).toBe(
      '2024-01-01 00:00:00+00:00|2024-01-01|2024-01-02',
    );
    expect(render('{{ next_ds }}|{{ next_ds_nodash }}|{{ yesterday_ds }}|{{ yesterday_ds_nodash }}|{{ tomorrow_ds }}|{{ tomorrow_ds_nodash }}')).toBe(
      '2024-01-02|20240102|2023-12-31|20231231|2024-01-02|20240102',
    );
    // Removed in Airflow 3 and needing the previous run: undefined, so StrictUndefined names them.
    for (const name of ['prev_ds', 'prev_ds_nodash', 'prev_execution_date', 'prev_execution_date_success']) {
      expect(() => render(`{{ ${name} }}`)).toThrow(`'${name}' is undefined`);
    }
  });

  it("has Airflow 3's previous-success dates, None as in the Python runner", () => {
    expect(
      render('{{ prev_data_interval_start_success }}|{{ prev_data_interval_end_success }}|{{ prev_start_date_success }}|{{ prev_end_date_success }}'),
    ).toBe('None|None|None|None');
  });

  it('leaves the date names out when the run has no logical date', () => {
    const base = makePayload(bashTask({}));
    const manual = buildTemplateContext(
      { ...base, run: { ...base.run, logical_date: null, data_interval_start: null, data_interval_end: null } },
      reader,
    );
    expect('ds' in manual).toBe(false);
    expect('logical_date' in manual).toBe(false);
    expect('execution_date' in manual).toBe(false);
    expect(renderTemplate('[{{ dag_run.logical_date }}]', manual)).toBe('[None]');
    // Airflow 3: `ds` is not defined for such a run, and StrictUndefined makes that an error.
    expect(() => renderTemplate('[{{ ds }}]', manual)).toThrow("UndefinedError: 'ds' is undefined");
  });

  it('has run, dag, task, ti and dag_run', () => {
    expect(render('{{ run_id }}|{{ dag.dag_id }}|{{ task.task_id }}|{{ task.owner }}')).toBe(`${RUN_ID}|d|t|data-team`);
    expect(render('{{ ti.try_number }}|{{ ti.task_id }}|{{ ti.dag_id }}|{{ ti.run_id }}|{{ task_instance.task_id }}')).toBe(`1|t|d|${RUN_ID}|t`);
    expect(render('{{ dag_run.run_id }}|{{ dag_run.run_type }}|{{ dag_run.logical_date }}|{{ dag_run.conf.y }}')).toBe(
      `${RUN_ID}|scheduled|2024-01-01 00:00:00+00:00|from-conf`,
    );
  });

  it('merges params: DAG params, then task params, then dag_run.conf', () => {
    const base = makePayload(bashTask({}, { params: { x: 2, z: 'task' } }));
    const merged = buildTemplateContext(base, reader);
    expect(renderTemplate('{{ params.x }}|{{ params.y }}|{{ params.z }}', merged)).toBe('2|from-conf|task');
  });

  it('supports dict methods on mappings', () => {
    expect(render("{{ dag_run.conf.get('y') }}|{{ dag_run.conf.get('nope', 'fallback') }}|{{ params.get('nope') }}")).toBe('from-conf|fallback|None');
    expect(render('{% for k, v in dag_run.conf.items() %}{{ k }}={{ v }}{% endfor %}')).toBe('y=from-conf');
  });
});

describe('ti.xcom_pull in templates', () => {
  it('takes keyword and positional forms; a single id returns a value, a list returns a list', () => {
    expect(render("{{ ti.xcom_pull(task_ids='a') }}")).toBe('from-a');
    expect(render("{{ ti.xcom_pull('a') }}")).toBe('from-a');
    expect(render("{{ ti.xcom_pull(task_ids='a', key='custom') }}")).toBe('custom-a');
    expect(render("{{ ti.xcom_pull('a', None, 'custom') }}")).toBe('custom-a');
    expect(render("{{ ti.xcom_pull(task_ids=['a', 'b']) }}")).toBe("['from-a', {'k': [1, 'two']}]");
    expect(render("{{ ti.xcom_pull(task_ids='b')['k'][1] }}")).toBe('two');
  });

  it('include_prior_dates takes the latest run at or before this one, by logical date', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'xcom-prior-'));
    try {
      const at = (runId: string, value: string, logicalDate: string | null) =>
        writeXcom(root, { dag_id: 'd', run_id: runId, task_id: 'a', map_index: -1 }, 'return_value', value, new Date(), logicalDate);
      at('older', 'older', '2023-12-01T00:00:00.000Z');
      at('previous', 'previous', '2023-12-31T00:00:00.000Z');
      at('later', 'later', '2024-01-09T00:00:00.000Z');
      at('undated', 'undated', null);
      const volumeContext = buildTemplateContext(makePayload(bashTask({})), volumeXcomReader(root));
      const pull = (template: string) => renderTemplate(template, volumeContext);
      expect(pull("{{ ti.xcom_pull(task_ids='a') }}")).toBe('None');
      expect(pull("{{ ti.xcom_pull(task_ids='a', include_prior_dates=True) }}")).toBe('previous');
      expect(pull("{{ ti.xcom_pull('a', None, 'return_value', True) }}")).toBe('previous');
      at(RUN_ID, 'mine', '2024-01-01T00:00:00.000Z');
      expect(pull("{{ ti.xcom_pull(task_ids='a', include_prior_dates=True) }}")).toBe('mine');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('defaults to the current task and to None (or the given default) when missing', () => {
    expect(render('{{ ti.xcom_pull() }}')).toBe('mine');
    expect(render("{{ ti.xcom_pull(task_ids='missing') }}")).toBe('None');
    expect(render("{{ ti.xcom_pull(task_ids='missing', default='d') }}")).toBe('d');
  });
});

describe('rendering', () => {
  it('prints values as Python does', () => {
    const ctx = { t: true, f: false, n: null, list: [1, 'a', null], map: { k: "it's" }, num: 1.5 };
    expect(renderTemplate('{{ t }} {{ f }} {{ n }} {{ list }} {{ map }} {{ num }}', ctx)).toBe(
      `True False None [1, 'a', None] {'k': "it's"} 1.5`,
    );
  });

  it('tests truth as Python does: empty lists and dicts are false', () => {
    expect(renderTemplate("{% if e %}a{% else %}b{% endif %}|{{ 'y' if d else 'n' }}|{{ not e }}|{{ not f }}", { e: [], d: {}, f: [0] })).toBe('b|n|True|False');
    expect(renderTemplate("{{ e or 'x' }}|{{ 'a' and e }}|{{ f and 'y' }}", { e: [], f: [0] })).toBe('x|[]|y');
  });

  it('knows Jinja\'s capitalised constants', () => {
    expect(renderTemplate('{{ True }}|{{ x == None }}|{% if f == False %}no{% endif %}', { x: null, f: false })).toBe('True|True|no');
  });

  it('leaves other nunjucks users alone', () => {
    expect(nunjucks.renderString('{{ t }} {{ list }} [{{ missing }}] {{ a + b }} {{ l + m }}', { t: true, list: [1, 2], a: 1, b: 2, l: [1], m: [2] })).toBe(
      'true 1,2 [] 3 12',
    );
    expect(nunjucks.renderString('{% if e %}js{% endif %}{% if missing %}x{% endif %}{{ not e }}', { e: [] })).toBe('jsfalse');
    expect(nunjucks.renderString("{{ e or 'x' }}|{{ 1 and e }}|{{ missing or 'm' }}", { e: [] })).toBe('||m');
  });

  it('fails on an undefined name or attribute with Jinja\'s StrictUndefined message', () => {
    expect(() => render('x {{ nope }}')).toThrow("UndefinedError: 'nope' is undefined");
    expect(() => render('{{ params.missing }}')).toThrow("UndefinedError: 'dict object' has no attribute 'missing'");
    expect(() => render('{{ nope.deeper }}')).toThrow("UndefinedError: 'nope' is undefined");
    expect(() => render('{{ dag_run.conf.nope.deeper }}')).toThrow("'dict object' has no attribute 'nope'");
    expect(() => render("{{ ti.xcom_pull(task_ids='missing').key }}")).toThrow("UndefinedError: 'None' has no attribute 'key'");
    expect(() => render('{{ nope }}')).toThrow(TemplateRenderError);
    expect(() => render('{% if typo %}x{% endif %}')).toThrow("UndefinedError: 'typo' is undefined");
    expect(() => render("{{ 'a' if params.typo else 'b' }}")).toThrow("'dict object' has no attribute 'typo'");
  });

  it('lets `is defined` and `default` look at undefined values, as Jinja does', () => {
    expect(render("{{ nope is defined }}|{{ params.missing is defined }}|{{ nope | default('d') }}|{{ params.x | default('d') }}")).toBe(
      'False|False|d|1',
    );
    expect(render('{% if params.missing is defined %}yes{% else %}no{% endif %}')).toBe('no');
  });

  it('has macros.datetime, timedelta, time, random, uuid and json, and date arithmetic', () => {
    expect(render('{{ logical_date + macros.timedelta(days=1, hours=2) }}')).toBe('2024-01-02 02:00:00+00:00');
    expect(render("{{ (logical_date - macros.timedelta(1)).strftime('%Y-%m-%d') }}")).toBe('2023-12-31');
    expect(render('{{ macros.timedelta(days=1, seconds=5) }}|{{ macros.timedelta(minutes=90) }}|{{ macros.datetime(2024, 1, 2) - macros.datetime(2024, 1, 1) }}')).toBe(
      '1 day, 0:00:05|1:30:00|1 day, 0:00:00',
    );
    expect(render("{{ macros.datetime(2024, 2, 3) | ds }}|{{ macros.datetime.strptime(ds, '%Y-%m-%d').year }}")).toBe('2024-02-03|2024');
    expect(render('{{ macros.random() < 1 }}|{{ macros.uuid.uuid4() | length }}|{{ macros.time.time() > 1700000000 }}')).toBe('True|36|True');
    expect(render('{{ macros.json.dumps(dag_run.conf) }}|{{ macros.json.loads(\'{"a": [1]}\').a }}')).toBe('{"y": "from-conf"}|[1]');
    expect(render('{{ [1] + [2] }}|{{ 1 + 2 }}|{{ "a" + "b" }}|{{ 5 - 2 }}')).toBe('[1, 2]|3|ab|3');
  });

  it("subtracts two pendulum dates to pendulum 3's Interval, a timedelta that prints its ends", () => {
    expect(render('{{ data_interval_end - data_interval_start }}|{{ [data_interval_start - data_interval_end] }}')).toBe(
      '<Interval [2024-01-01 00:00:00+00:00 -> 2024-01-02 00:00:00+00:00]>|[<Interval [2024-01-02 00:00:00+00:00 -> 2024-01-01 00:00:00+00:00]>]',
    );
    const i = '(data_interval_end - data_interval_start)';
    expect(render(`{{ ${i}.days }} {{ ${i}.total_seconds() }} {{ ${i}.in_hours() }} {{ ${i}.in_days() }} {{ ${i}.in_words() }} {{ ${i}.start }}`)).toBe(
      '1 86400 24 1 1 day 2024-01-01 00:00:00+00:00',
    );
    expect(render(`{% if ${i} > macros.timedelta(hours=1) %}longer{% endif %} {{ logical_date + ${i} }}`)).toBe('longer 2024-01-02 00:00:00+00:00');
    // Whole days towards zero (a Python timedelta of -2 hours has days == -1); in_days counts calendar dates.
    expect(render("{{ (logical_date.add(hours=23) - logical_date.add(hours=25)).days }} {{ (logical_date.add(hours=23) - logical_date.add(hours=25)).in_days() }} {{ (logical_date.add(hours=23) - logical_date.add(hours=25)).in_words() }}")).toBe(
      '0 -1 -2 hours',
    );
    expect(render('{{ (logical_date.add(years=1, months=1, days=2) - logical_date).in_words() }}|{{ (logical_date.add(days=40) - logical_date).in_months() }}')).toBe(
      '1 year 1 month 2 days|1',
    );
    expect(render('{{ (logical_date.add(seconds=1) - logical_date.add(microseconds=5000)).in_words() }}|{{ (logical_date - logical_date).in_words() }}')).toBe(
      '0.99 second|0 microseconds',
    );
    expect(render("{{ data_interval_end - logical_date.in_timezone('Europe/Paris') }} {{ (data_interval_end - logical_date.in_timezone('Europe/Paris')).in_hours() }}")).toBe(
      '<Interval [2024-01-01 01:00:00+01:00 -> 2024-01-02 00:00:00+00:00]> 24',
    );
  });

  it('renders lists and mappings recursively, values only', () => {
    expect(renderTemplate({ '{{ ds }}': ['{{ ds }}', 3, { deep: '{{ ds_nodash }}' }], n: null }, context)).toEqual({
      '{{ ds }}': ['2024-01-01', 3, { deep: '20240101' }],
      n: null,
    });
  });

  it('native mode returns the value of a whole-template expression', () => {
    expect(renderTemplate('{{ dag_run.conf }}', context, { native: true })).toEqual({ y: 'from-conf' });
    expect(renderTemplate('{{ params.x + 1 }}', context, { native: true })).toBe(2);
    expect(renderTemplate('x={{ params.x }}', context, { native: true })).toBe('x=1');
  });

  it('has the date filters and macros', () => {
    expect(render('{{ logical_date | ds_nodash }}|{{ data_interval_end | ds }}|{{ "2024-03-05T10:20:30+00:00" | ts_nodash }}')).toBe(
      '20240101|2024-01-02|20240305T102030',
    );
    expect(render("{{ macros.ds_add(ds, 3) }}|{{ macros.ds_add('2024-03-01', -1) }}|{{ macros.ds_format(ds, '%Y-%m-%d', '%d %b %Y') }}")).toBe(
      '2024-01-04|2024-02-29|01 Jan 2024',
    );
    expect(render("{{ logical_date.strftime('%A %j') }}|{{ logical_date.add(hours=36) }}")).toBe('Monday 001|2024-01-02 12:00:00+00:00');
  });

  it("slices strings and lists as Python does (`ds[:4]`), which nunjucks alone cannot parse", () => {
    expect(render("{{ ds[:4] }}|{{ ds[5:7] }}|{{ ds_nodash[-4:] }}|{{ ds[::-1] }}|{{ ds[3:1] }}|{{ ds[:4] | int + 1 }}")).toBe(
      '2024|01|0101|10-10-4202||2025',
    );
    expect(render('{{ [1, 2, 3, 4, 5][1:-1] }}|{{ [1, 2, 3, 4, 5][::2] }}|{{ [1, 2, 3][::-1][0] }}|{{ [1, 2][5:] }}|{{ [1, 2, 3][-1] }}')).toBe(
      '[2, 3, 4]|[1, 3, 5]|3|[]|3',
    );
    expect(() => render('{{ nope[:2] }}')).toThrow("UndefinedError: 'nope' is undefined");
    expect(() => render('{{ ds[nope:] }}')).toThrow('TypeError: slice indices must be integers or None or have an __index__ method');
    expect(() => render('{{ ds[::0] }}')).toThrow('TypeError: slice step cannot be zero');
    expect(() => render('{{ dag_run.conf[:1] }}')).toThrow("a dict cannot be sliced");
    expect(() => render('{{ params.x[:1] }}')).toThrow("TypeError: 'int' object is not subscriptable");
  });

  it('throws TemplateRenderError on syntax errors and unknown functions', () => {
    expect(() => render('{{ ds ')).toThrow(TemplateRenderError);
    expect(() => render('{{ nope() }}')).toThrow(/nope/);
  });
});

describe('Python date formats', () => {
  it('strftime and strptime agree on the common codes', () => {
    const dt = strptime('2024-07-04 13:05:09.123456 +0200', '%Y-%m-%d %H:%M:%S.%f %z');
    expect(strftime(dt, '%Y|%y|%m|%d|%H|%I%p|%M|%S|%f|%j|%b|%B|%a|%A|%z|%%')).toBe(
      '2024|24|07|04|13|01PM|05|09|123000|186|Jul|July|Thu|Thursday|+0200|%',
    );
    expect(dsFormat('20240102', '%Y%m%d', '%d/%m/%y')).toBe('02/01/24');
    expect(dsAdd('2024-01-01', 0)).toBe('2024-01-01');
    expect(() => dsFormat('2024-13-45', '%Y-%m-%d', '%Y')).toThrow();
  });
});
