// The command line -> the command, its operands and every flag's value, read the way kubectl (pflag) reads it and
// checked against the declarations in flags.ts: a flag that takes a value takes the next word whatever it looks like
// (`--request-timeout -3s` is a negative duration, not an unknown flag), a trailing one without a value is a usage
// error, the last of a repeated flag wins, and a flag the command does not take is refused.
import {usageError} from './errors.js';
import {parseDuration} from './duration.js';
import {commandNames, defaultOf, flagCombinations, flagDeclarations, flagName, flagSpelling, flagsOf, valuesOf, type CommandName, type FlagDeclaration, type FlagKey, type FlagRun, type FlagValues} from './flags.js';

export interface Arguments {
	/** The command, or undefined when none was given. */
	command: CommandName | undefined;
	/** The words after the command that are not flags (scan's FILE). */
	operands: string[];
	values: FlagValues;
	/** The flags given on the command line (the others have their defaults). */
	given: ReadonlySet<FlagKey>;
}

const keyByName = new Map<string, FlagKey>((Object.keys(flagDeclarations) as FlagKey[]).map(key => [flagName(key), key]));
const keyByShort = new Map<string, FlagKey>(
	(Object.keys(flagDeclarations) as FlagKey[]).flatMap(key => {
		const short = (flagDeclarations[key] as FlagDeclaration).short;
		return short ? [[short, key] as const] : [];
	}),
);

function declarationOf(key: FlagKey): FlagDeclaration {
	return flagDeclarations[key];
}

interface Token {
	key: FlagKey;
	/** The value written (`--x=v`, `--x v`), or undefined for a boolean given bare. */
	value: string | undefined;
	/** `--no-NAME`. */
	negated: boolean;
	/** The word after a flag given bare that has a bare value (`--dry-run server`): pflag leaves it an operand. */
	after?: string;
}

/** Splits the words into flags (with their values) and operands, as pflag does. */
function tokenize(argv: readonly string[]): {tokens: Token[]; words: string[]} {
	const tokens: Token[] = [];
	const words: string[] = [];
	for (let index = 0; index < argv.length; index++) {
		const arg = argv[index]!;
		if (arg === '--') {
			words.push(...argv.slice(index + 1));
			break;
		}
		if (!arg.startsWith('-') || arg === '-') {
			words.push(arg);
			continue;
		}
		let key: FlagKey | undefined;
		let value: string | undefined;
		let negated = false;
		let written = arg;
		if (arg.startsWith('--')) {
			const equals = arg.indexOf('=');
			const name = equals < 0 ? arg.slice(2) : arg.slice(2, equals);
			value = equals < 0 ? undefined : arg.slice(equals + 1);
			written = `--${name}`;
			key = keyByName.get(name);
			const positive = name.startsWith('no-') ? keyByName.get(name.slice(3)) : undefined;
			if (key === undefined && positive !== undefined && declarationOf(positive).kind === 'boolean') {
				key = positive;
				negated = true;
				if (value !== undefined) throw usageError(`${written} takes no value`, `write ${written} alone, or --${name.slice(3)}=true|false`);
			}
		} else {
			// -n NAME, -nNAME, -n=NAME; -y (booleans take no value).
			written = arg.slice(0, 2);
			key = keyByShort.get(arg.slice(1, 2));
			if (arg.length > 2) value = arg.slice(2).replace(/^=/, '');
			if (key !== undefined && declarationOf(key).kind === 'boolean' && value !== undefined) {
				throw usageError(`${written} takes no value, got "${arg}"`, `write ${written} alone`);
			}
		}
		if (key === undefined) throw usageError(`unknown flag ${written}`, 'kubectl multus --help lists the flags (kubectl multus COMMAND --help: those of one command)');
		const declaration = declarationOf(key);
		let after: string | undefined;
		if (declaration.kind !== 'boolean' && value === undefined) {
			if (declaration.bare !== undefined) {
				value = declaration.bare;
				after = argv[index + 1];
			}
			// pflag takes the next word whatever it is; one that is itself a long flag was surely not meant as the value.
			else if (index + 1 < argv.length && !argv[index + 1]!.startsWith('--')) value = argv[++index];
			else {
				const next = argv[index + 1];
				throw usageError(`${written} needs a value${next === undefined ? '' : `, not the flag ${next}`}`, `write ${written} ${declaration.value ?? 'VALUE'} (kubectl multus --help)`);
			}
		}
		tokens.push({key, value, negated, ...(after === undefined ? {} : {after})});
	}
	return {tokens, words};
}

/** kubectl's name rules: a namespace is a DNS-1123 label, most object names (a DaemonSet's) a DNS-1123 subdomain. */
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function wholeNumber(spelling: string, text: string, largest: number, what: string): number {
	// Decimal digits only: Number() would also take 1e3, 0x10, 0b1 and " 12 ".
	if (!/^\d+$/.test(text)) throw usageError(`invalid ${spelling} "${text}"`, `give ${what} in decimal digits, such as ${spelling} 5`);
	const value = Number(text);
	if (value < 1) throw usageError(`invalid ${spelling} ${text}`, `give ${what} of at least 1`);
	if (value > largest) throw usageError(`invalid ${spelling} ${text}: more than ${largest}`, `give ${what} of at most ${largest}`);
	return value;
}

/** One flag's text -> its value, by kind (a choice: among those `command` takes); refuses what the API server or the HTTP client would refuse. */
function valueOf(key: FlagKey, text: string, command: CommandName | undefined): FlagValues[FlagKey] {
	const declaration = declarationOf(key);
	const spelling = `--${flagName(key)}`;
	switch (declaration.kind) {
		case 'choice': {
			const values = valuesOf(key, command);
			if (values?.includes(text)) return text as FlagValues[FlagKey];
			const shown = values?.filter(value => value !== 'none') ?? [];
			throw usageError(`invalid ${spelling} "${text}"`, `use ${shown.map(value => `${spelling}${declaration.bare ? '=' : ' '}${value}`).join(', ')}`);
		}
		case 'duration':
			return parseDuration(flagName(key), text);
		case 'count':
			return wholeNumber(spelling, text, Number.MAX_SAFE_INTEGER, 'a whole number');
		case 'bytes':
			// The API server takes an int64; past 2^53 a JavaScript number no longer holds it exactly.
			return wholeNumber(spelling, text, Number.MAX_SAFE_INTEGER, 'a number of bytes');
		case 'namespace':
			if (text.length > 63 || !dnsLabel.test(text)) {
				throw usageError(`invalid ${spelling} "${text}": not a namespace name`, 'a namespace name is at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit (kubectl get ns lists them)');
			}
			return text;
		case 'object':
			if (text.length > 253 || !dnsSubdomain.test(text)) {
				throw usageError(`invalid ${spelling} "${text}": not a Kubernetes object name`, 'a name is at most 253 lower-case letters, digits, "-" and "." (kubectl get ds -A lists the DaemonSets)');
			}
			return text;
		case 'header':
			// Sent as an Impersonate-* header: printable ASCII (and tab) only, or the HTTP client throws.
			if (text === '' || !/^[\t\x20-\x7e]+$/.test(text)) {
				throw usageError(`invalid ${spelling} "${JSON.stringify(text).slice(1, -1)}"`, 'give a non-empty name of printable ASCII characters (it is sent as an HTTP header)');
			}
			return text;
		default:
			return text;
	}
}

function defaults(command: CommandName | undefined): FlagValues {
	const values: Record<string, unknown> = {};
	for (const key of Object.keys(flagDeclarations) as FlagKey[]) {
		const declaration = declarationOf(key);
		const fallback = defaultOf(key, command);
		if (declaration.kind === 'boolean') values[key] = fallback === true;
		else values[key] = typeof fallback === 'string' ? valueOf(key, fallback, command) : undefined;
	}
	return values as FlagValues;
}

function booleanOf(spelling: string, text: string): boolean {
	if (text === 'true') return true;
	if (text === 'false') return false;
	throw usageError(`invalid ${spelling}=${text}`, `write ${spelling} alone, or ${spelling}=true|false`);
}

/**
 * Reads the command line. Throws a usage error (exit 2) for an unknown flag or command, a flag without its value, a
 * value of the wrong kind, or a flag the command does not take. `--help` is only recorded: the caller answers it.
 */
export async function parseArguments(argv: readonly string[]): Promise<Arguments> {
	const {tokens, words} = tokenize(argv);
	const [first, ...operands] = words;
	if (first !== undefined && !(commandNames as readonly string[]).includes(first) && first !== 'help') {
		throw usageError(`unknown command "${first}"`, `run kubectl multus --help to see the commands: ${commandNames.join(', ')}`);
	}
	// `kubectl multus --version`, as most tools answer it, is the version command.
	const command = first === 'help' ? undefined : ((first as CommandName | undefined) ?? (tokens.some(token => token.key === 'version') ? 'version' : undefined));
	const helpAsked = first === 'help' || tokens.some(token => token.key === 'help');
	const given = new Set(tokens.map(token => token.key));
	// meow reads the normalised words (`--name=value`, `--no-name`) against flags derived from the declarations;
	// every value it returns for a non-boolean is the text given, read by kind below.
	const {default: meow} = await import('meow');
	const meowFlags = Object.fromEntries(
		(Object.keys(flagDeclarations) as FlagKey[]).map(key => {
			const declaration = declarationOf(key);
			return [key, declaration.kind === 'boolean' ? {type: 'boolean' as const} : {type: 'string' as const}];
		}),
	);
	const normalised = tokens.map(({key, value, negated}) => {
		if (declarationOf(key).kind === 'boolean') return negated ? `--no-${flagName(key)}` : `--${flagName(key)}=${booleanOf(`--${flagName(key)}`, value ?? 'true')}`;
		return `--${flagName(key)}=${value}`;
	});
	// pflag: the last of a repeated flag wins, unless the flag says why it is taken once.
	for (const key of given) {
		const {once} = declarationOf(key);
		if (once !== undefined && tokens.filter(token => token.key === key).length > 1) {
			throw usageError(`${flagSpelling(key)} is given more than once`, `give it once: ${once}`);
		}
	}
	const lastOnly = normalised.filter((_word, index) => tokens.findLastIndex(token => token.key === tokens[index]!.key) === index);
	const parsed = meow({
		importMeta: import.meta,
		argv: lastOnly,
		autoHelp: false,
		autoVersion: false,
		allowUnknownFlags: false,
		flags: meowFlags,
	}).flags as Record<string, unknown>;

	const values = defaults(command);
	const assign = values as Record<FlagKey, unknown>;
	for (const key of given) {
		const declaration = declarationOf(key);
		const raw = parsed[key];
		assign[key] = declaration.kind === 'boolean' ? raw === true : valueOf(key, String(raw), command);
	}
	if (!helpAsked) {
		const taken = new Set(flagsOf(command).filter(key => command !== undefined || declarationOf(key).group === 'general'));
		const stray = [...given].find(key => !taken.has(key));
		if (stray !== undefined) {
			throw command === undefined
				? usageError(`${flagSpelling(stray)} needs a command`, `kubectl multus ${(declarationOf(stray).commands[0] ?? 'doctor')} ${flagSpelling(stray)} …; kubectl multus --help lists the commands`)
				: usageError(`${flagSpelling(stray)} is not a flag of kubectl multus ${command}`, `kubectl multus ${command} --help lists its flags`);
		}
		// `--dry-run server` is bare --dry-run (client) and the operand "server", in kubectl too: say how to write it.
		const split = tokens.find(token => token.after !== undefined && valuesOf(token.key, command)?.includes(token.after));
		if (split) {
			const spelling = flagSpelling(split.key);
			throw usageError(`unexpected argument "${split.after}"`, `write ${spelling}=${split.after}: ${spelling} takes its value after = (bare ${spelling} means ${declarationOf(split.key).bare}), as in kubectl`);
		}
	}
	if (first === 'help' && operands[0] !== undefined && (commandNames as readonly string[]).includes(operands[0])) {
		return {command: operands[0] as CommandName, operands: [], values: {...values, help: true}, given};
	}
	return {command, operands, values: helpAsked ? {...values, help: true} : values, given};
}

/**
 * Refuses (a usage error, exit 2) the first combination of flags declared in flags.ts that the run has: checked once
 * for the whole run, before anything is read or connected.
 */
export function refuseCombinations(run: FlagRun): void {
	for (const combination of flagCombinations) {
		if (!combination.commands.includes(run.command)) continue;
		const refusal = combination.refuse(run);
		if (refusal) throw usageError(...refusal);
	}
}
