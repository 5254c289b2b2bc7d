import { describe, expect, it } from 'vitest';
import { templateSyntaxError, templateSyntaxProblems } from '../src/worker/template-syntax.js';
import { task } from './helpers/dag-builder.js';

describe('templateSyntaxError', () => {
  it.each([
    ['echo {{ ds }}'],
    ["{{ ti.xcom_pull(task_ids='a', key='b') }}"],
    ['{{ macros.ds_add(ds, 3) }} {% if params.full %}full{% endif %}'],
    ['{{ logical_date | ds }} {{ params.x | default(1) }}'],
    ['plain text, no template'],
    ['{{ ds[:4] }} {{ ds_nodash[-4:] }} {{ params.xs[1:-1:2] }} {{ params.xs[::-1][0] }}'],
  ])('accepts %s', (template) => {
    expect(templateSyntaxError(template)).toBeNull();
  });

  it.each([
    ['echo {{ ds', /expected variable end/],
    ['{% if x %}never closed', /endif/],
    ['{{ xs[1:2:3:4] }}', /invalid slice: too many colons/],
    ['{{ xs[] }}', /expected an index or a slice/],
  ])('names what is wrong in %s', (template, message) => {
    expect(templateSyntaxError(template)).toMatch(message);
  });
});

describe('templateSyntaxProblems', () => {
  it('checks every templated field of a bash task and names the field', () => {
    const bash = task('extract', [], { operator: 'bash', args: { bash_command: 'echo {{ ds', env: { OUT: '{{ params.out }' } } });
    expect(templateSyntaxProblems(bash)).toEqual([
      expect.stringMatching(/^task 'extract': bash_command: template syntax error: /),
      expect.stringMatching(/^task 'extract': env\.OUT: template syntax error: /),
    ]);
  });

  it('checks op_kwargs of python tasks recursively, and leaves .sh template files alone', () => {
    const python = task('load', [], { operator: 'python', args: { op_kwargs: { nested: ['ok', '{% for x in y %}'] } } });
    expect(templateSyntaxProblems(python)).toEqual([expect.stringMatching(/^task 'load': op_kwargs\.nested\[1\]: /)]);
    const script = task('run_script', [], { operator: 'bash', args: { bash_command: 'scripts/run.sh' } });
    expect(templateSyntaxProblems(script)).toEqual([]);
  });
});
