// The CLI: parse flags, pick the command, exit with its code. source/entry.ts loads it when the arguments ask for
// more than the usage text. Heavy modules (Ink, client-node) load lazily so that `version` and `scan` start fast.
import {enableCompileCache} from 'node:module';
import {ExitCode} from './exit-codes.js';
import {MultusError, formatError, usageError} from './errors.js';
import {parseDuration} from './duration.js';
import {commands, helpText, invokedAsCompleter} from './help.js';
import {versionInfo} from './version.js';
import type {ConnectionOptions, DoctorOptions, DryRun, EmitFormat, OutputFormat} from './options.js';

// V8's compile cache for our bundle and client-node: later runs skip most of the parsing (Node 22.1+).
enableCompileCache?.();

const flagSpec = {
	kubeconfig: {type: 'string'},
	context: {type: 'string'},
	cluster: {type: 'string'},
	user: {type: 'string'},
	namespace: {type: 'string', shortFlag: 'n'},
	as: {type: 'string'},
	asGroup: {type: 'string', isMultiple: true},
	asUid: {type: 'string'},
	requestTimeout: {type: 'string', default: '30s'},
	output: {type: 'string', shortFlag: 'o', default: 'text'},
	check: {type: 'boolean', default: false},
	yes: {type: 'boolean', shortFlag: 'y', default: false},
	dryRun: {type: 'string'},
	restart: {type: 'boolean', default: true},
	force: {type: 'boolean', default: false},
	emit: {type: 'string'},
	timeout: {type: 'string', default: '5m'},
	daemonset: {type: 'string'},
	logPods: {type: 'number', default: 5},
	logBytes: {type: 'number', default: 262_144},
	help: {type: 'boolean', shortFlag: 'h', default: false},
	version: {type: 'boolean', default: false},
} as const;

/** kubectl accepts a bare --dry-run (meaning client); meow needs a value, so give it one. */
function normaliseArgv(argv: string[]): string[] {
	return argv.map(arg => (arg === '--dry-run' ? '--dry-run=client' : arg));
}

function parseOutput(value: string): OutputFormat {
	if (value === 'text' || value === 'json' || value === 'yaml') return value;
	throw usageError(`invalid --output "${value}"`, 'use -o text, -o json or -o yaml');
}

function parseDryRun(value: string | undefined): DryRun {
	if (value === undefined || value === 'none' || value === 'false') return 'none';
	if (value === 'client' || value === 'server') return value;
	throw usageError(`invalid --dry-run "${value}"`, 'use --dry-run, --dry-run=client or --dry-run=server');
}

function parseEmit(value: string | undefined): EmitFormat | undefined {
	if (value === undefined) return undefined;
	if (value === 'patch' || value === 'manifest') return value;
	throw usageError(`invalid --emit "${value}"`, 'use --emit patch (RFC 6902 JSON patch) or --emit manifest (the whole ClusterRole)');
}

function positiveInteger(flag: string, value: number): number {
	if (!Number.isInteger(value) || value < 1) throw usageError(`invalid --${flag} ${value}`, `give a whole number of at least 1`);
	return value;
}

export async function main(argv: string[], argv0 = process.argv0): Promise<number> {
	// Completion words are partial ("--con"), so they must reach the completer before meow rejects them as flags.
	const completer = invokedAsCompleter(argv0);
	if (completer || argv[0] === '__complete') {
		const {runComplete} = await import('./commands/complete.js');
		return runComplete(completer ? argv : argv.slice(1));
	}
	const {default: meow} = await import('meow');
	const cli = meow(helpText, {
		importMeta: import.meta,
		argv: normaliseArgv(argv),
		pkg: {name: 'kubectl-multus', version: versionInfo().version},
		autoHelp: false,
		autoVersion: false,
		allowUnknownFlags: false,
		flags: flagSpec,
	});
	const [command, ...rest] = cli.input;
	const flags = cli.flags;

	if (flags.help || command === 'help' || command === undefined) {
		process.stdout.write(helpText.trimStart());
		return command === undefined && !flags.help ? ExitCode.Usage : ExitCode.Ok;
	}

	switch (command) {
		case 'version': {
			const {runVersion} = await import('./commands/version.js');
			return runVersion(parseOutput(flags.output));
		}
		case 'scan': {
			if (rest.length > 1) throw usageError(`scan takes one FILE or -, got ${rest.length}`, 'kubectl multus scan [FILE|-]');
			const {runScan} = await import('./commands/scan.js');
			return runScan({source: rest[0] ?? '-', output: parseOutput(flags.output)});
		}
		case 'doctor':
		case 'undo': {
			if (rest.length > 0) throw usageError(`unexpected argument "${rest[0]}"`, `kubectl multus ${command} takes flags only`);
			const connection: ConnectionOptions = {
				kubeconfig: flags.kubeconfig,
				context: flags.context,
				cluster: flags.cluster,
				user: flags.user,
				namespace: flags.namespace,
				as: flags.as,
				asGroups: flags.asGroup ?? [],
				asUid: flags.asUid,
				requestTimeoutMs: parseDuration('request-timeout', flags.requestTimeout),
			};
			const output = parseOutput(flags.output);
			const dryRun = parseDryRun(flags.dryRun);
			if (flags.check && flags.yes) throw usageError('--check and --yes contradict each other', 'use --check to diagnose, or --yes to fix');
			const emit = parseEmit(flags.emit);
			if (emit && command === 'undo') throw usageError('--emit is a doctor flag', 'kubectl multus doctor --emit patch|manifest');
			if (emit && (flags.yes || dryRun !== 'none' || output !== 'text')) {
				throw usageError('--emit prints the fix and changes nothing: it does not go with --yes, --dry-run or -o', 'use --emit patch|manifest alone (with --check if you like)');
			}
			const interactive = !emit && Boolean(process.stdin.isTTY && process.stdout.isTTY) && output === 'text' && process.env['CI'] !== 'true';
			const options: DoctorOptions = {
				connection,
				output,
				check: flags.check,
				yes: flags.yes,
				dryRun,
				restart: flags.restart,
				force: flags.force,
				timeoutMs: parseDuration('timeout', flags.timeout),
				daemonSet: flags.daemonset,
				logPods: positiveInteger('log-pods', flags.logPods),
				logBytes: positiveInteger('log-bytes', flags.logBytes),
				...(emit ? {emit} : {}),
				interactive,
				color: !('NO_COLOR' in process.env) && Boolean(process.stdout.isTTY),
			};
			if (command === 'undo') {
				const {runUndo} = await import('./commands/undo.js');
				return runUndo(options);
			}
			const {runDoctor} = await import('./commands/doctor.js');
			return runDoctor(options);
		}
		default:
			throw usageError(`unknown command "${command}"`, `run kubectl multus --help to see the commands: ${commands.join(', ')}`);
	}
}

main(process.argv.slice(2)).then(
	code => {
		process.exitCode = code;
	},
	(error: unknown) => {
		process.stderr.write(formatError(error) + '\n');
		process.exitCode = error instanceof MultusError ? error.exitCode : ExitCode.ProblemFound;
	},
);
