// The usage texts, general and per command, written from the declarations in flags.ts; and when the arguments ask
// for nothing else, so that `--help` loads nothing more (source/entry.ts answers it before the CLI loads).
import {ExitCode} from './exit-codes.js';
import {commandDeclarations, commandNames, defaultOf, flagDeclarations, flagSpelling, flagsOf, type CommandName, type FlagDeclaration, type FlagKey} from './flags.js';

/** The commands, in the order the usage text lists them. */
export const commands = commandNames;

export function isCommand(word: string | undefined): word is CommandName {
	return (commandNames as readonly (string | undefined)[]).includes(word);
}

/** True when started under kubectl's completion name (kubectl_complete-multus[.exe], e.g. a symlink to this binary). */
export function invokedAsCompleter(argv0: string): boolean {
	return /^kubectl_complete-/.test(argv0.split(/[\\/]/).at(-1) ?? '');
}

/**
 * When the arguments ask for a usage text and nothing else: `--help`, `-h` or `help` alone (the general text) or
 * after a command, `help COMMAND` (that command's), or no arguments at all (the general text, a usage error as
 * kubectl's own commands make it); else undefined. Any other argument goes to the flag parser, which answers
 * `--help` among other flags the same way.
 */
export function helpOnly(argv: readonly string[], argv0: string): {command: CommandName | undefined; code: ExitCode} | undefined {
	if (invokedAsCompleter(argv0)) return undefined;
	if (argv.length === 0) return {command: undefined, code: ExitCode.Usage};
	const [first, second] = argv;
	const asks = (word: string | undefined) => word === '--help' || word === '-h' || word === 'help';
	if (argv.length === 1 && asks(first)) return {command: undefined, code: ExitCode.Ok};
	if (argv.length === 2 && isCommand(first) && asks(second)) return {command: first, code: ExitCode.Ok};
	if (argv.length === 2 && first === 'help' && isCommand(second)) return {command: second, code: ExitCode.Ok};
	return undefined;
}

const helpColumn = 31;
const width = 116;

/** `-o, --output FORMAT`, `--dry-run[=client|server]`, `--no-restart`. */
function flagLabel(key: FlagKey): string {
	const declaration: FlagDeclaration = flagDeclarations[key];
	const short = declaration.short ? `-${declaration.short}, ` : '';
	const value = declaration.value === undefined ? '' : declaration.bare === undefined ? ` ${declaration.value}` : `[=${declaration.value}]`;
	return `${short}${flagSpelling(key)}${value}`;
}

/** Words wrapped to the help's width, continuation lines under the help column. */
function wrap(text: string, indent: number): string[] {
	const lines: string[] = [];
	let current = '';
	for (const word of text.split(' ')) {
		if (current && indent + current.length + 1 + word.length > width) {
			lines.push(current);
			current = word;
		} else current = current ? `${current} ${word}` : word;
	}
	return [...lines, current];
}

function flagLine(key: FlagKey, command: CommandName | undefined): string {
	const declaration: FlagDeclaration = flagDeclarations[key];
	const help = (command && declaration.helpIn?.[command]) ?? declaration.help;
	const fallback = defaultOf(key, command);
	const shown = typeof fallback === 'string' && declaration.bare === undefined ? ` (default ${fallback})` : '';
	const label = `    ${flagLabel(key)}`;
	const [first = '', ...rest] = wrap(help + shown, helpColumn);
	const head = label.length < helpColumn ? label.padEnd(helpColumn) + first : `${label}\n${' '.repeat(helpColumn)}${first}`;
	return [head, ...rest.map(line => ' '.repeat(helpColumn) + line)].join('\n');
}

function section(title: string, lines: readonly string[]): string {
	return lines.length === 0 ? '' : `\n  ${title}\n${lines.join('\n')}\n`;
}

/** Two columns, the right one wrapped to the help's width under itself. */
function table(rows: readonly (readonly [string, string])[]): string[] {
	const column = Math.max(...rows.map(([left]) => left.length)) + 2;
	return rows.map(([left, right]) => {
		const [first = '', ...rest] = wrap(right, 4 + column);
		return [`    ${left.padEnd(column)}${first}`, ...rest.map(line => ' '.repeat(4 + column) + line)].join('\n');
	});
}

function flagSections(command: CommandName | undefined): string {
	const keys = flagsOf(command);
	// In the general help, the flags only scan (or only report) takes have a section of their own.
	const onlyOf = (name: CommandName) => (key: FlagKey) => command === undefined && (flagDeclarations[key] as FlagDeclaration).commands.join() === name;
	const scanOnly = onlyOf('scan');
	const reportOnly = onlyOf('report');
	const inGroup = (group: FlagDeclaration['group'], only = (key: FlagKey) => !scanOnly(key) && !reportOnly(key)) =>
		keys.filter(key => (flagDeclarations[key] as FlagDeclaration).group === group && only(key)).map(key => flagLine(key, command));
	return (
		section(command ? 'Flags' : 'Doctor flags', inGroup('command')) +
		section('Report flags', inGroup('command', reportOnly)) +
		section('Scan flags', inGroup('command', scanOnly)) +
		section(command ? 'Connection flags (as kubectl)' : 'Connection flags (doctor, report and undo, as kubectl)', inGroup('connection')) +
		section('General', inGroup('general'))
	);
}

function exitCodeSection(command: CommandName | undefined): string {
	if (command) return section('Exit codes', table(commandDeclarations[command].exitCodes.map(([code, meaning]) => [String(code), meaning])));
	return section('Exit codes', [
		'    0 healthy or fixed   1 problem found and not fixed   2 usage error   3 cannot reach the cluster',
		'    4 missing permission   5 rollout failed or timed out   6 scan: nothing was read (empty input)',
		'    7 patched, not proven by the daemons   8 scan: the input passed a limit (--max-*)',
	]);
}

function examples(command: CommandName | undefined): string {
	const rows = command ? commandDeclarations[command].examples : commandNames.flatMap(name => commandDeclarations[name].examples.slice(0, name === 'doctor' ? 4 : 1));
	return section('Examples', table(rows));
}

/** The general usage text (no command), or one command's. */
export function helpText(command?: CommandName): string {
	if (command) {
		const {usage, about} = commandDeclarations[command];
		return `\n  kubectl multus ${command}: ${about}.\n` + section('Usage', [`    kubectl multus ${usage}`]) + flagSections(command) + exitCodeSection(command) + examples(command);
	}
	const usage = table(commandNames.map(name => [`kubectl multus ${commandDeclarations[name].usage}`, commandDeclarations[name].about]));
	return (
		"\n  Diagnose and fix Multus-CNI's RBAC: the thick daemon's pod informer needs list and watch on pods.\n" +
		section('Usage', usage) +
		flagSections(undefined) +
		exitCodeSection(undefined) +
		examples(undefined) +
		'\n  kubectl multus COMMAND --help shows the flags, exit codes and examples of one command.\n'
	);
}
