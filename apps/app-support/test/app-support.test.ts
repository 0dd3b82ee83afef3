import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addReportOptions,
  Command,
  guardExistingReport,
  InvalidArgumentError,
  parseBackendName,
  parseIntegerAtLeast,
  prepareOutputDirectory,
  UsageError,
} from '../src/index';

let scratch = '';
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'app-support-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

describe('option parsers', () => {
  it('parseIntegerAtLeast accepts integers from the minimum and names the form otherwise', () => {
    const parse = parseIntegerAtLeast(1);
    expect(parse('1')).toBe(1);
    expect(parse('25')).toBe(25);
    for (const text of ['0', '-1', '1.5', 'x', '', ' ', '1e400'])
      expect(() => parse(text)).toThrow(new InvalidArgumentError('Expected an integer >= 1.'));
    expect(parseIntegerAtLeast(0)('0')).toBe(0);
  });

  it('parseBackendName accepts auto and the registered backends only', () => {
    expect(parseBackendName('auto')).toBe('auto');
    expect(parseBackendName('cpu')).toBe('cpu');
    expect(() => parseBackendName('gpu')).toThrow(/^Expected auto or one of: .*\bcpu\b.*\.$/);
  });
});

describe('prepareOutputDirectory', () => {
  it('creates missing folders and leaves no probe file behind', () => {
    const target = join(scratch, 'a', 'b');
    prepareOutputDirectory(target);
    expect(readdirSync(target)).toEqual([]);
  });

  it('fails at once, in one line naming the option and the path, where no folder can be made', () => {
    const started = performance.now();
    // Node 20's recursive mkdir never returns on /proc/x.
    expect(() => prepareOutputDirectory('/proc/x')).toThrow(
      new UsageError(
        "option '--output <folder>' argument '/proc/x' is invalid. Expected a folder that can be created and written to: cannot create /proc/x (ENOENT).",
      ),
    );
    expect(performance.now() - started).toBeLessThan(1000);
    const file = join(scratch, 'file');
    writeFileSync(file, 'x');
    expect(() => prepareOutputDirectory(join(file, 'sub'))).toThrow(`${file} is a file`);
    expect(() => prepareOutputDirectory(file)).toThrow(`${file} is a file`);
  });
});

describe('guardExistingReport', () => {
  const files = ['summary.json', 'checkpoint', 'metrics.jsonl'];
  const neither = { resume: false, overwrite: false };

  it('lets a new report start in an empty or missing folder', () => {
    expect(guardExistingReport(scratch, files, neither)).toBeUndefined();
    expect(guardExistingReport(join(scratch, 'missing'), files, neither)).toBeUndefined();
  });

  it('refuses to overwrite a report unless told, keeping its files, and names both flags', () => {
    writeFileSync(join(scratch, 'summary.json'), '{"kept":true}');
    expect(() => guardExistingReport(scratch, files, neither)).toThrow(
      new UsageError(
        `${scratch} already holds a report (summary.json); pass --resume to continue its training or --overwrite to replace it, or choose another --output`,
      ),
    );
    expect(readFileSync(join(scratch, 'summary.json'), 'utf8')).toBe('{"kept":true}');
  });

  it('--overwrite removes the report files and nothing else', () => {
    writeFileSync(join(scratch, 'summary.json'), '{}');
    mkdirSync(join(scratch, 'checkpoint'));
    writeFileSync(join(scratch, 'checkpoint', 'state.json'), '{}');
    writeFileSync(join(scratch, 'notes.txt'), 'mine');
    expect(guardExistingReport(scratch, files, { resume: false, overwrite: true })).toBeUndefined();
    expect(readdirSync(scratch)).toEqual(['notes.txt']);
  });

  it('names only --overwrite for an app without --resume', () => {
    writeFileSync(join(scratch, 'summary.json'), '{"kept":true}');
    expect(() => guardExistingReport(scratch, files, { ...neither, resumable: false })).toThrow(
      new UsageError(
        `${scratch} already holds a report (summary.json); pass --overwrite to replace it, or choose another --output`,
      ),
    );
    expect(readFileSync(join(scratch, 'summary.json'), 'utf8')).toBe('{"kept":true}');
  });

  it('--resume returns the checkpoint folder, and refuses without one', () => {
    expect(() => guardExistingReport(scratch, files, { resume: true, overwrite: false })).toThrow(
      `--resume: ${scratch} holds no checkpoint to resume from (no checkpoint/state.json); run without --resume to start a new report there`,
    );
    mkdirSync(join(scratch, 'checkpoint'));
    writeFileSync(join(scratch, 'checkpoint', 'state.json'), '{}');
    expect(guardExistingReport(scratch, files, { resume: true, overwrite: false })).toBe(
      join(scratch, 'checkpoint'),
    );
    expect(existsSync(join(scratch, 'checkpoint', 'state.json'))).toBe(true);
    expect(() => guardExistingReport(scratch, files, { resume: true, overwrite: true })).toThrow(UsageError);
  });
});

describe('addReportOptions', () => {
  const settings = { defaultOutput: 'demo-report', examples: ['demo --seed 2'] };
  /** The full help of a program with the report options (the text after the options included), and its options' long names. */
  const describeProgram = (extra: { readonly resumable?: boolean } = {}) => {
    const program = addReportOptions(new Command('demo'), { ...settings, ...extra });
    let help = '';
    program.configureOutput({ writeOut: (chunk) => (help += chunk) });
    program.outputHelp();
    return { help, names: program.options.map((option) => option.long) };
  };

  it('adds --seed, --output, --backend, --resume and --overwrite by default, with the examples', () => {
    const { help, names } = describeProgram();
    expect(names).toEqual(['--seed', '--output', '--backend', '--resume', '--overwrite']);
    expect(help).toMatch(/pass --resume or --overwrite to use the folder again/);
    expect(help).toMatch(/Examples:\n {2}demo --seed 2/);
  });

  it('leaves --resume and its help out for an app without a checkpoint', () => {
    const { help, names } = describeProgram({ resumable: false });
    expect(names).toEqual(['--seed', '--output', '--backend', '--overwrite']);
    expect(help).not.toMatch(/--resume|resumed/);
    expect(help).toMatch(
      /An existing report in --output is kept: pass --overwrite to use the folder again\./,
    );
    const program = addReportOptions(new Command('demo'), { ...settings, resumable: false })
      .exitOverride()
      .configureOutput({ writeErr: () => {} });
    expect(() => program.parse(['--resume'], { from: 'user' })).toThrow(/unknown option '--resume'/);
  });
});
