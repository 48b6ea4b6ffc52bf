// Every flag is declared once (source/flags.ts): the parser, the help of each command, completion and the README's
// flag table must all say what the declaration says.
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {parseArguments} from '../../source/arguments.js';
import {completions} from '../../source/commands/complete.js';
import {commandNames, flagDeclarations, flagSpelling, flagsOf, valuesOf, type CommandName, type FlagDeclaration, type FlagKey} from '../../source/flags.js';
import {helpText} from '../../source/help.js';

const keys = Object.keys(flagDeclarations) as FlagKey[];
const declarationOf = (key: FlagKey): FlagDeclaration => flagDeclarations[key];
/** Every way to write a flag: `--namespace` and `-n`. */
const spellingsOf = (key: FlagKey) => [flagSpelling(key), ...(declarationOf(key).short ? [`-${declarationOf(key).short}`] : [])];
const keyBySpelling = new Map(keys.flatMap(key => spellingsOf(key).map(spelling => [spelling, key] as const)));

/** A value each kind accepts, as a user would write it. */
const sampleByKind: Record<FlagDeclaration['kind'], string | undefined> = {
	boolean: undefined, string: 'x', choice: undefined, duration: '1m', count: '3', bytes: '100', namespace: 'kube-system', object: 'kube-multus-ds', header: 'alice',
};
function wordsFor(key: FlagKey, command?: CommandName): string[] {
	const declaration = declarationOf(key);
	if (declaration.kind === 'boolean') return [flagSpelling(key)];
	if (declaration.kind === 'choice') return [`${flagSpelling(key)}=${valuesOf(key, command)![0]}`];
	return [flagSpelling(key), sampleByKind[declaration.kind]!];
}

describe('the README flag table follows the declarations', () => {
	const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
	const table = readme.slice(readme.indexOf('### Flags'), readme.indexOf('`scan [FILE|DIR|-]` takes'));
	const rows = table.split('\n').filter(line => line.startsWith('| `')).map(line => line.split(/(?<!\\)\|/).slice(1, -1).map(cell => cell.trim()));

	test('every declared flag is in exactly one row, and nothing else is', () => {
		const seen: FlagKey[] = [];
		for (const [flags = ''] of rows) {
			for (const [, written] of flags.matchAll(/`(-[^`\s[=]+)/g)) {
				const key = keyBySpelling.get(written!);
				assert.ok(key, `README names ${written}, which is not declared`);
				seen.push(key);
			}
		}
		assert.deepEqual([...new Set(seen)].sort(), [...keys].sort());
		assert.equal(new Set(seen.map(key => flagSpelling(key))).size, seen.filter((key, index) => seen.indexOf(key) === index).length);
	});

	test("each row's commands, defaults and values are the declared ones", () => {
		for (const [flags = '', commands = '', meaning = ''] of rows) {
			for (const [, written] of flags.matchAll(/`(-[^`\s[=]+)/g)) {
				const key = keyBySpelling.get(written!)!;
				const declaration = declarationOf(key);
				assert.deepEqual(commands.split(', ').sort(), [...declaration.commands].sort(), `${written}: commands`);
				if (typeof declaration.default === 'string' && declaration.bare === undefined) {
					assert.match(meaning, new RegExp(`${flagSpelling(key).replaceAll('-', '\\-')}[^|]*default \`${declaration.default}\`|default \`${declaration.default}\``), `${written}: default ${declaration.default}`);
				}
				for (const value of declaration.values?.filter(value => value !== 'none') ?? []) assert.ok(flags.includes(value), `${written}: value ${value}`);
			}
		}
	});

	test('--as-group is once, in the README and in the help, never repeatable', () => {
		const row = rows.find(([flags = '']) => flags.includes('`--as-group`'))!;
		assert.match(row[2]!, /`--as-group` once/);
		const line = helpText('doctor').split('\n').find(text => text.includes('--as-group'))!;
		assert.match(line, /once/);
		assert.doesNotMatch(helpText(), /repeatable/);
	});
});

describe('each command has its own --help, listing its flags and no others', () => {
	for (const command of commandNames) {
		test(command, () => {
			const text = helpText(command);
			assert.match(text, new RegExp(`kubectl multus ${command}`));
			for (const key of keys) {
				const listed = new RegExp(`^ {4}(-\\w, )?${flagSpelling(key)}\\b`, 'm').test(text);
				assert.equal(listed, flagsOf(command).includes(key), `${command} --help and ${flagSpelling(key)}`);
			}
		});
	}

	test('the general help lists every flag and every command', () => {
		const text = helpText();
		for (const key of keys) assert.match(text, new RegExp(`^ {4}(-\\w, )?${flagSpelling(key)}\\b`, 'm'));
		for (const command of commandNames) assert.match(text, new RegExp(`kubectl multus ${command} `));
	});

	test('no help line is wider than 116 columns', () => {
		for (const command of [undefined, ...commandNames]) {
			for (const line of helpText(command).split('\n')) assert.ok(line.length <= 116, `${command ?? 'general'}: ${line}`);
		}
	});
});

describe('completion offers the declared flags and values', () => {
	test('after each command, exactly the spellings of the flags it takes', () => {
		for (const command of commandNames) {
			const {candidates} = completions([command, '-']);
			assert.deepEqual([...candidates].sort(), flagsOf(command).flatMap(spellingsOf).sort(), command);
		}
		assert.deepEqual(completions(['--']).candidates, ['--help', '--version']);
	});

	test("a choice's values after it, a bare-valued flag's only after =", () => {
		assert.deepEqual(completions(['doctor', '-o', '']).candidates, ['text', 'json', 'yaml']);
		assert.deepEqual(completions(['doctor', '--emit', 'm']).candidates, ['manifest']);
		assert.deepEqual(completions(['doctor', '--dry-run=s']).candidates, ['--dry-run=server']);
		assert.deepEqual(completions(['doctor', '--dry-run', '--ch']).candidates, ['--check']);
		assert.deepEqual(completions(['doctor', '--no-r']).candidates, ['--no-restart']);
		assert.ok(!completions(['scan', '--']).candidates.includes('--check'));
	});

	test('a flag\'s value before the command is not the command; a directory after --emit-dir is the shell\'s to complete', () => {
		assert.deepEqual([...completions(['-n', 'kube-system', 'undo', '--y']).candidates], ['--yes']);
		assert.deepEqual([...completions(['--context', 'prod', 'doctor', '--emit-d']).candidates], ['--emit-dir']);
		assert.deepEqual(completions(['doctor', '--emit', 'manifest', '--emit-dir', '']), {candidates: [], directive: 0});
	});
});

describe('the parser takes what each command declares', () => {
	for (const command of commandNames) {
		test(`${command}: every flag it takes parses; every other is refused by name`, async () => {
			for (const key of keys) {
				const words = [command, ...wordsFor(key, command)];
				if (flagsOf(command).includes(key)) {
					const parsed = await parseArguments(words);
					assert.equal(parsed.command, command);
					assert.ok(parsed.given.has(key), words.join(' '));
				} else {
					await assert.rejects(parseArguments(words), {kind: 'Usage', message: `${flagSpelling(key)} is not a flag of kubectl multus ${command}`}, words.join(' '));
				}
			}
		});
	}

	test("a command's own values and default: report's -o is md (its default) or json, and md is refused elsewhere", async () => {
		assert.equal((await parseArguments(['report'])).values.output, 'md');
		assert.equal((await parseArguments(['report', '-o', 'json'])).values.output, 'json');
		await assert.rejects(parseArguments(['report', '-o', 'yaml']), {kind: 'Usage', message: 'invalid --output "yaml"'});
		await assert.rejects(parseArguments(['doctor', '-o', 'md']), {kind: 'Usage', message: 'invalid --output "md"'});
		assert.deepEqual(completions(['report', '-o', '']).candidates, ['md', 'json']);
		assert.match(helpText('report'), /-o, --output FORMAT +md \(Markdown that pastes into a GitHub issue\) or json \(default md\)/);
		assert.match(helpText('doctor'), /-o, --output FORMAT +text, json or yaml \(default text\)/);
		assert.deepEqual(completions(['report', '--bundle', '']), {candidates: [], directive: 0});
	});

	test('defaults come from the declarations, read like user input', async () => {
		const {values} = await parseArguments(['doctor']);
		assert.deepEqual(
			{timeout: values.timeout, requestTimeout: values.requestTimeout, logPods: values.logPods, logBytes: values.logBytes, output: values.output, dryRun: values.dryRun, restart: values.restart, asGroup: values.asGroup, emit: values.emit},
			{timeout: 300_000, requestTimeout: 30_000, logPods: 5, logBytes: 262_144, output: 'text', dryRun: 'none', restart: true, asGroup: undefined, emit: undefined},
		);
	});

	test("kubectl's forms: --flag value, --flag=value, -n value, -nvalue, bare --dry-run, --no-restart, the last repeat wins", async () => {
		const {values, operands} = await parseArguments(['doctor', '--timeout', '1m', '--timeout=2m', '-n', 'kube-system', '-ojson', '--dry-run', '--no-restart', '--as-group', 'a']);
		assert.deepEqual(
			{timeout: values.timeout, namespace: values.namespace, output: values.output, dryRun: values.dryRun, restart: values.restart, asGroup: values.asGroup},
			{timeout: 120_000, namespace: 'kube-system', output: 'json', dryRun: 'client', restart: false, asGroup: 'a'},
		);
		assert.deepEqual(operands, []);
		assert.deepEqual((await parseArguments(['scan', '-', '-o', 'yaml'])).operands, ['-']);
		assert.equal((await parseArguments(['doctor', '--dry-run=server'])).values.dryRun, 'server');
	});

	test('--help anywhere asks for the help of the command given, or the general one', async () => {
		assert.deepEqual(await pick(['doctor', '--check', '--help']), {command: 'doctor', help: true});
		assert.deepEqual(await pick(['help', 'scan']), {command: 'scan', help: true});
		assert.deepEqual(await pick(['-h']), {command: undefined, help: true});
		assert.deepEqual(await pick(['scan', '--timeout', '5m', '--help']), {command: 'scan', help: true});
	});
});

async function pick(argv: string[]): Promise<{command: CommandName | undefined; help: boolean}> {
	const {command, values} = await parseArguments(argv);
	return {command, help: values.help};
}
