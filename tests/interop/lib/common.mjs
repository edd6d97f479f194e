// Command line, the C++ CLI, the corpus and the pass/fail report shared by both directions.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { JSONParse } from 'json-with-bigint';
import { bulkDocument } from './bulk.mjs';

// Parses JSON without losing integers beyond 2^53 (they become BigInt; integration JSON writes
// e.g. MONTH_DAY_NANO nanoseconds as plain numbers) or negative zero.
export const parseJson = (text) => JSONParse(text);

// --cli PATH --corpus DIR --work DIR [--only SUBSTRING]
export function parseArgs(argv) {
    const args = { only: null };
    for (let k = 0; k < argv.length; k += 2) {
        const key = argv[k].replace(/^--/, '');
        if (!['cli', 'corpus', 'work', 'only'].includes(key) || argv[k + 1] === undefined) {
            throw new Error(`usage: --cli LEGOLASFLUX --corpus DIR --work DIR [--only SUBSTRING] (bad: ${argv[k]})`);
        }
        args[key] = argv[k + 1];
    }
    for (const k of ['cli', 'corpus', 'work']) if (!args[k]) throw new Error(`--${k} is required`);
    if (!fs.existsSync(args.cli)) throw new Error(`the C++ CLI ${args.cli} does not exist (build the legolasflux target)`);
    fs.rmSync(args.work, { recursive: true, force: true });
    fs.mkdirSync(args.work, { recursive: true });
    return args;
}

// Runs the CLI; returns stdout, or throws with its exit code and stderr.
export function cli(exe, args) {
    try {
        return execFileSync(exe, args, { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
        const stderr = (e.stderr || '').toString().trim();
        throw new Error(`legolasflux ${args.join(' ')} failed (exit ${e.status}): ${stderr || e.message}`);
    }
}

// The corpus's integration JSON files, sorted, as { name, file, doc }, then the generated bulk
// document (lib/bulk.mjs; file null, `bulk` set). An unreadable or unparsable file is returned with
// `error` set, so it counts as a failure rather than vanishing.
export function loadCorpus(dir, only) {
    if (!fs.existsSync(dir)) throw new Error(`corpus directory ${dir} does not exist`);
    const names = fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
    if (!names.length) throw new Error(`corpus directory ${dir} holds no *.json file`);
    const entries = names.map((name) => {
        const file = path.join(dir, name);
        try {
            return { name, file, doc: parseJson(fs.readFileSync(file, 'utf8')) };
        } catch (e) {
            return { name, file, error: `cannot parse: ${e.message}` };
        }
    });
    entries.push({ name: 'generated-bulk.json', file: null, doc: bulkDocument(), bulk: true });
    return entries.filter((e) => !only || e.name.includes(only));
}

// JSON text for a parsed document that keeps what JSON.stringify loses: negative zero, BigInt.
export function stringifyJson(value) {
    if (typeof value === 'number') return Object.is(value, -0) ? '-0.0' : JSON.stringify(value);
    if (typeof value === 'bigint') return value.toString();
    if (Array.isArray(value)) return `[${value.map(stringifyJson).join(',')}]`;
    if (value !== null && typeof value === 'object') {
        const parts = Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}:${stringifyJson(v)}`);
        return `{${parts.join(',')}}`;
    }
    return JSON.stringify(value);
}

// Collects one result per case and prints the closing "N passed, M failed" line.
export class Report {
    constructor(title) {
        this.title = title;
        this.passed = 0;
        this.failed = 0;
        this.skipped = [];
        console.log(`== ${title}`);
    }

    // Runs `fn` as one case; it passes if it returns without throwing and reports no differences.
    // `fn` returns an array of difference lines (empty when everything matched).
    check(name, fn) {
        let problems;
        try {
            problems = fn() || [];
        } catch (e) {
            problems = [e.stack && process.env.INTEROP_STACKS ? e.stack : String(e.message || e)];
        }
        if (problems.length) {
            this.failed++;
            console.log(`FAIL ${name}`);
            for (const p of problems) console.log(`     ${p}`);
        } else {
            this.passed++;
            console.log(`ok   ${name}`);
        }
    }

    // Something compared in a normalised form, said once so the normalisation is never silent.
    note(name, text) {
        console.log(`note ${name}: ${text}`);
    }

    skip(name, reason) {
        this.skipped.push(name);
        console.log(`skip ${name}: ${reason}`);
    }

    // Prints the summary; returns the process exit code.
    finish() {
        const total = this.passed + this.failed;
        console.log(`${this.title}: ${this.passed} passed, ${this.failed} failed, ${this.skipped.length} skipped`);
        if (total === 0) {
            console.log('no case ran: that is a failure, not a pass');
            return 1;
        }
        return this.failed ? 1 : 0;
    }
}
