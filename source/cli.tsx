// The CLI: parse flags, pick the command, exit with its code. source/entry.ts loads it when the arguments ask for
// more than the usage text. Heavy modules (Ink, client-node) load lazily so that `version` and `scan` start fast.
import {enableCompileCache} from 'node:module';
import {ExitCode} from './exit-codes.js';
import {MultusError, formatError, usageError} from './errors.js';
import {parseArguments, refuseCombinations} from './arguments.js';
import {helpText, invokedAsCompleter} from './help.js';
import {terminalSafe} from './ansi.js';
import type {ConnectionOptions, DoctorOptions, FleetOptions, OutputFormat} from './options.js';
import type {FlagValues} from './flags.js';
import {contextPatterns} from './fleet/select.js';

// V8's compile cache for our bundle and client-node: later runs skip most of the parsing (Node 22.1+).
enableCompileCache?.();

export async function main(argv: string[], argv0 = process.argv0): Promise<number> {
	// Completion words are partial ("--con"), so they must reach the completer before the flag parser refuses them.
	const completer = invokedAsCompleter(argv0);
	if (completer || argv[0] === '__complete') {
		const {runComplete} = await import('./commands/complete.js');
		return runComplete(completer ? argv : argv.slice(1));
	}
	const {command, operands: rest, values: flags, given} = await parseArguments(argv);

	if (flags.help || command === undefined) {
		process.stdout.write(helpText(command).trimStart());
		return command === undefined && !flags.help ? ExitCode.Usage : ExitCode.Ok;
	}
	// TERM=dumb (Emacs shells, some CI consoles) cannot move the cursor: the plain printer, not the Ink view.
	const dumb = process.env['TERM'] === 'dumb';
	/** Why this run shows no terminal view, so asks nothing (the first reason a user can change). */
	const noTerminal = flags.output !== 'text'
		? `-o ${flags.output}`
		: process.env['CI'] === 'true' ? 'CI=true' : dumb ? 'TERM=dumb' : !(process.stdin.isTTY && process.stdout.isTTY) ? 'stdin and stdout are not both a terminal' : undefined;
	refuseCombinations({command, values: flags, given, noTerminal});

	const connection: ConnectionOptions = {
		kubeconfig: flags.kubeconfig,
		context: flags.context,
		cluster: flags.cluster,
		user: flags.user,
		namespace: flags.namespace,
		as: flags.as,
		asGroup: flags.asGroup,
		asUid: flags.asUid,
		requestTimeoutMs: flags.requestTimeout,
	};
	switch (command) {
		case 'version': {
			const {runVersion} = await import('./commands/version.js');
			return runVersion(plainOutput(flags.output));
		}
		case 'scan': {
			if (rest.length > 1) throw usageError(`scan takes one FILE, DIR or -, got ${rest.length}`, 'kubectl multus scan [FILE|DIR|-]');
			const {runScan} = await import('./commands/scan.js');
			const limits = {maxBytes: flags.maxBytes, maxEntries: flags.maxEntries, maxDepth: flags.maxDepth, maxRatio: flags.maxRatio};
			return runScan({source: rest[0] ?? '-', output: plainOutput(flags.output), limits});
		}
		case 'report': {
			if (rest.length > 0) throw usageError(`unexpected argument "${rest[0]}"`, 'kubectl multus report takes flags only');
			const output = flags.output;
			if (output !== 'md' && output !== 'json') throw new MultusError('Internal', `report has no output ${output}`);
			const {runReport} = await import('./commands/report.js');
			return runReport({connection, output, bundle: flags.bundle, redact: flags.redact, daemonSet: flags.daemonset, logPods: flags.logPods, logBytes: flags.logBytes});
		}
		case 'doctor':
		case 'undo': {
			if (rest.length > 0) throw usageError(`unexpected argument "${rest[0]}"`, `kubectl multus ${command} takes flags only`);
			const {dryRun, emit} = flags;
			const output = plainOutput(flags.output);
			const fleet = command === 'doctor' ? fleetOptions(flags) : undefined;
			const interactive = !emit && noTerminal === undefined;
			const options: DoctorOptions = {
				connection,
				output,
				check: flags.check,
				yes: flags.yes,
				dryRun,
				restart: flags.restart,
				force: flags.force,
				timeoutMs: flags.timeout,
				daemonSet: flags.daemonset,
				logPods: flags.logPods,
				logBytes: flags.logBytes,
				...(emit ? {emit} : {}),
				...(fleet ? {fleet} : {}),
				interactive,
				color: !('NO_COLOR' in process.env) && Boolean(process.stdout.isTTY) && !dumb,
			};
			if (command === 'undo') {
				const {runUndo} = await import('./commands/undo.js');
				return runUndo(options);
			}
			const {runDoctor} = await import('./commands/doctor.js');
			return runDoctor(options);
		}
	}
}

/** The fleet's options when --all-contexts or --contexts is given (flags.ts declares the combinations refused). */
function fleetOptions(flags: FlagValues): FleetOptions | undefined {
	if (!flags.allContexts && flags.contexts === undefined) return undefined;
	return {
		selection: flags.allContexts ? {all: true} : {patterns: contextPatterns(flags.contexts!)},
		parallel: flags.parallel,
		confirmEach: flags.confirmEach,
		emitDir: flags.emitDir,
	};
}

/** -o of every command but report: the parser takes `md` for report alone. */
function plainOutput(output: FlagValues['output']): OutputFormat {
	if (output === 'md') throw new MultusError('Internal', 'md is an output of report alone');
	return output;
}

main(process.argv.slice(2)).then(
	code => {
		process.exitCode = code;
	},
	(error: unknown) => {
		// Error texts carry names and server answers from outside: shown safe, like every other text output.
		process.stderr.write(terminalSafe(formatError(error)) + '\n');
		process.exitCode = error instanceof MultusError ? error.exitCode : ExitCode.ProblemFound;
	},
);
