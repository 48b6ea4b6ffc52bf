// The commands and every flag, declared once: name, short form, kind, default, help line, completion values and the
// commands that take it; and, at the end, the combinations of flags that are refused (flagCombinations). The flag
// parser (arguments.ts, through meow), the general and per-command help (help.ts), shell completion
// (commands/complete.ts) and the options' types (options.ts) are all read from here, and a test holds the README's
// flag table to it. Plain data (and small functions of the parsed values) with no imports: source/entry.ts reads it
// through help.ts to answer `--help` before the CLI loads, so it must stay small and cheap to evaluate.

export const commandNames = ['doctor', 'report', 'scan', 'undo', 'version'] as const;
export type CommandName = (typeof commandNames)[number];

export interface CommandDeclaration {
	/** The usage line after `kubectl multus`. */
	readonly usage: string;
	/** One line: what it does (the general help and completion show it). */
	readonly about: string;
	/** Its exit codes, as its help lists them. */
	readonly exitCodes: readonly (readonly [code: number, meaning: string])[];
	readonly examples: readonly (readonly [command: string, meaning: string])[];
}

export const commandDeclarations: Record<CommandName, CommandDeclaration> = {
	doctor: {
		usage: 'doctor [flags]',
		about: 'find Multus, detect the forbidden list/watch error, fix it and prove it',
		exitCodes: [
			[0, 'healthy, or fixed and proven by the daemons themselves'],
			[1, 'problem found and not fixed (--check, declined, dry run, --emit, managed, still denied, cancelled)'],
			[2, 'usage error'],
			[3, 'cannot reach or talk to the cluster'],
			[4, 'you lack a permission the fix needs'],
			[5, 'the rollout failed or timed out'],
			[7, 'patched, not proven: daemon logs unreadable, silent, or not ready in time'],
		],
		examples: [
			['kubectl multus doctor', 'guided fix in a terminal'],
			['kubectl multus doctor --check -o json', 'diagnose for automation'],
			['kubectl multus doctor --yes', 'fix without asking'],
			['kubectl multus doctor --all-contexts --check', 'every kubeconfig context, one row each (exit: the most serious, 5 > 2 > 3 > 4 > 1 > 7 > 0)'],
			['kubectl multus doctor --emit manifest > multus-clusterrole.yaml', 'the fixed ClusterRole for a GitOps repo'],
		],
	},
	report: {
		usage: 'report [flags]',
		about: 'collect what an upstream issue or a ticket needs, read-only and redacted',
		exitCodes: [
			[0, 'the report was written (what could not be collected, and why, is in it)'],
			[2, 'usage error, or the bundle file cannot be written'],
			[3, 'cannot reach or talk to the cluster'],
		],
		examples: [
			['kubectl multus report > multus-report.md', 'Markdown to paste into a GitHub issue'],
			['kubectl multus report --bundle multus-report.tar.gz', 'report.md, report.json and the sampled logs'],
			['kubectl multus report -o json --no-redact', 'for automation, nothing redacted'],
		],
	},
	scan: {
		usage: 'scan [FILE|DIR|-] [flags]',
		about: 'classify Multus logs offline: a file, stdin, .gz, a tar bundle or a directory',
		exitCodes: [
			[0, 'no forbidden lines'],
			[1, 'forbidden lines found'],
			[2, 'usage error, or the input cannot be read (missing, truncated, damaged)'],
			[6, 'nothing was read (the input is empty, or holds no log file)'],
			[8, 'the input passed a limit (--max-bytes, --max-entries, --max-depth, --max-ratio)'],
		],
		examples: [
			['kubectl logs ds/kube-multus-ds -n kube-system | kubectl multus scan -', 'classify the live logs'],
			['kubectl multus scan kube-multus-ds-x2x9z.log.gz -o json', 'a gzip\'d pod log, for automation'],
			['kubectl multus scan bundle.tar.gz', 'every log in a support bundle (report --bundle)'],
			['kubectl multus scan ./cluster-dump', 'a cluster-info dump --output-directory tree'],
		],
	},
	undo: {
		usage: 'undo [flags]',
		about: 'take back the ClusterRole rules that doctor added',
		exitCodes: [
			[0, 'undone'],
			[1, 'nothing to undo, the role changed since, declined, or --check/--dry-run'],
			[2, 'usage error; roles changed for several DaemonSets (pick one with -n/--daemonset), or no change record for the one named'],
			[3, 'cannot reach or talk to the cluster'],
			[4, 'you lack a permission the undo needs'],
		],
		examples: [
			['kubectl multus undo', 'show what would be restored, and ask'],
			['kubectl multus undo --yes', 'restore without asking'],
		],
	},
	version: {
		usage: 'version [flags]',
		about: 'print version and commit',
		exitCodes: [[0, 'always']],
		examples: [['kubectl multus version -o json', 'for automation']],
	},
};

/**
 * How a flag's value is read: `boolean` takes none (`--no-NAME` turns it off); `string` any text; `choice` one of
 * `values`; `duration` a Go duration (5m, 1h30m; 0 = no limit); `count`
 * and `bytes` a whole number of at least 1 written in decimal digits; `namespace` and `object` a Kubernetes
 * namespace name (DNS-1123 label) or object name (DNS-1123 subdomain); `header` text that can be sent in an HTTP
 * header (impersonation).
 */
export type FlagKind = 'boolean' | 'string' | 'choice' | 'duration' | 'count' | 'bytes' | 'namespace' | 'object' | 'header';

/** Where a flag is listed in the help. */
export type FlagGroup = 'command' | 'connection' | 'general';

export interface FlagDeclaration {
	readonly kind: FlagKind;
	/** The one-letter form (`-n`), if any. */
	readonly short?: string;
	/** The placeholder of its value in the help (`DURATION`). */
	readonly value?: string;
	/** The default, as a user would write it (so that it is read like one); booleans default to false. */
	readonly default?: string | boolean;
	/** The value when the flag is given bare, without `=VALUE` (kubectl's `--dry-run` means client). */
	readonly bare?: string;
	/** The values a `choice` takes, and what completion offers. */
	readonly values?: readonly string[];
	/** The values it takes in one command, where they differ from `values`. */
	readonly valuesIn?: Partial<Record<CommandName, readonly string[]>>;
	/** The default in one command, where it differs from `default`. */
	readonly defaultIn?: Partial<Record<CommandName, string>>;
	/** Why the flag may be given only once; without it, the last of a repeated flag wins (as in kubectl). */
	readonly once?: string;
	/** Written `--no-NAME` in help and completion (a boolean that defaults to true). */
	readonly negated?: boolean;
	/** The help line. Its default, if any, is appended as "(default X)". */
	readonly help: string;
	/** The help line in one command's help, where the flag means something of its own there. */
	readonly helpIn?: Partial<Record<CommandName, string>>;
	readonly group: FlagGroup;
	/** The commands that take it; the general flags (--help) are taken by every command and without one. */
	readonly commands: readonly CommandName[];
}

const cluster = ['doctor', 'report', 'undo'] as const;
const changing = ['doctor', 'undo'] as const;
const sampling = ['doctor', 'report'] as const;
const every = commandNames;

/** Every flag, keyed by its name in camelCase (meow's key; the flag is its kebab-case: requestTimeout = --request-timeout). */
export const flagDeclarations = {
	check: {kind: 'boolean', help: 'diagnose only, change nothing', helpIn: {undo: 'show what would be restored, change nothing'}, group: 'command', commands: changing},
	yes: {
		kind: 'boolean', short: 'y', help: 'apply without asking (required to change anything without a terminal)',
		helpIn: {undo: 'restore without asking (required to change anything without a terminal)'}, group: 'command', commands: changing,
	},
	dryRun: {
		kind: 'choice', value: 'client|server', values: ['client', 'server', 'none'], bare: 'client', default: 'none',
		help: 'show everything that would change, change nothing (bare --dry-run means client; server also sends the patch with dryRun=All)',
		helpIn: {undo: 'show what would be restored, change nothing'}, group: 'command', commands: changing,
	},
	restart: {kind: 'boolean', negated: true, default: true, help: 'patch the ClusterRole but do not restart the DaemonSet', group: 'command', commands: ['doctor']},
	force: {
		kind: 'boolean', help: 'patch a ClusterRole that Helm, an operator or GitOps manages (they may revert it)',
		helpIn: {undo: 'restore even if the role changed after kubectl multus patched it'}, group: 'command', commands: changing,
	},
	emit: {
		kind: 'choice', value: 'patch|manifest', values: ['patch', 'manifest'],
		help: 'print the fix as a file and change nothing: patch = the RFC 6902 JSON patch for kubectl patch clusterrole NAME --type=json --patch-file FILE; manifest = the whole ClusterRole with the added rule, for kubectl apply -f or a GitOps repository (exit 1 when there is something to fix, 0 and nothing printed when healthy)',
		group: 'command', commands: ['doctor'],
	},
	timeout: {
		kind: 'duration', value: 'DURATION', default: '5m',
		help: 'how long to wait for the rollout, and for an answer after a patch or restart got none; 0 waits forever, at most 596h',
		group: 'command', commands: ['doctor'],
	},
	daemonset: {
		kind: 'object', value: 'NAME', help: 'the Multus DaemonSet (default: discovered by image, labels and command)',
		helpIn: {undo: 'the DaemonSet whose change to undo, when several were changed'}, group: 'command', commands: cluster,
	},
	logPods: {kind: 'count', value: 'N', default: '5', help: 'how many Multus pods to read logs from', group: 'command', commands: sampling},
	logBytes: {kind: 'bytes', value: 'N', default: '262144', help: 'how many of the newest bytes of log to read from each pod', group: 'command', commands: sampling},
	emitDir: {
		kind: 'string', value: 'DIR',
		help: 'with --emit and several contexts: write one file per context with a fix into DIR (CONTEXT.json for patch, CONTEXT.yaml for manifest)',
		group: 'command', commands: ['doctor'],
	},
	confirmEach: {kind: 'boolean', help: 'with several contexts, in a terminal: ask for each cluster on its own, not once for all (not with --yes)', group: 'command', commands: ['doctor']},
	parallel: {kind: 'count', value: 'N', default: '20', help: 'with several contexts: how many clusters to work on at once', group: 'command', commands: ['doctor']},
	maxBytes: {
		kind: 'bytes', value: 'N', default: '17179869184',
		help: 'stop once gzip has produced this many bytes in all (16 GiB; plain files are read whole)', group: 'command', commands: ['scan'],
	},
	maxEntries: {kind: 'count', value: 'N', default: '100000', help: 'stop after this many entries (files, directories, links) in a bundle or directory', group: 'command', commands: ['scan']},
	maxDepth: {kind: 'count', value: 'N', default: '32', help: 'stop at a path more than this many levels deep in a bundle or directory', group: 'command', commands: ['scan']},
	maxRatio: {
		kind: 'count', value: 'N', default: '500',
		help: 'stop when gzip expands a stream more than N to 1 after its first 64 MiB (a gzip bomb: logs compress 5 to 50 to 1, zeros 1000 to 1)', group: 'command', commands: ['scan'],
	},
	output: {
		kind: 'choice', short: 'o', value: 'FORMAT', values: ['text', 'json', 'yaml'], valuesIn: {report: ['md', 'json']}, default: 'text', defaultIn: {report: 'md'},
		help: 'text, json or yaml', helpIn: {report: 'md (Markdown that pastes into a GitHub issue) or json'}, group: 'command', commands: every,
	},
	bundle: {
		kind: 'string', value: 'FILE', help: 'write a .tar.gz bundle instead: a directory with report.md, report.json and the sampled logs under logs/NAMESPACE/POD/CONTAINER.log',
		group: 'command', commands: ['report'],
	},
	redact: {
		kind: 'boolean', negated: true, default: true,
		help: 'keep tokens, certificates, keys, IP addresses and host names (redacted by default, and counted)', group: 'command', commands: ['report'],
	},

	kubeconfig: {kind: 'string', value: 'PATH', help: 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)', group: 'connection', commands: cluster},
	context: {kind: 'string', value: 'NAME', help: 'kubeconfig context', group: 'connection', commands: cluster},
	allContexts: {kind: 'boolean', help: 'every context of the kubeconfig, concurrently, one row each (the fleet)', group: 'connection', commands: ['doctor']},
	contexts: {kind: 'string', value: 'NAMES', help: 'these contexts, comma-separated, globs allowed (edge-*,prod-?), concurrently, one row each', group: 'connection', commands: ['doctor']},
	cluster: {kind: 'string', value: 'NAME', help: 'kubeconfig cluster', group: 'connection', commands: cluster},
	user: {kind: 'string', value: 'NAME', help: 'kubeconfig user', group: 'connection', commands: cluster},
	namespace: {kind: 'namespace', short: 'n', value: 'NAME', help: 'namespace of the Multus DaemonSet (default: all namespaces)', group: 'connection', commands: cluster},
	as: {kind: 'header', value: 'USER', help: 'impersonate a user or service account', group: 'connection', commands: cluster},
	asGroup: {
		kind: 'header', value: 'GROUP', once: 'client-node cannot send the Impersonate-Group header twice',
		help: 'impersonate a group, once (client-node cannot send the header twice); needs --as', group: 'connection', commands: cluster,
	},
	asUid: {kind: 'header', value: 'UID', help: 'impersonate a UID', group: 'connection', commands: cluster},
	requestTimeout: {kind: 'duration', value: 'DURATION', default: '30s', help: 'timeout of each API request; 0 = none, at most 596h', group: 'connection', commands: cluster},

	help: {kind: 'boolean', short: 'h', help: 'show the help (of the command, after one)', group: 'general', commands: every},
	version: {kind: 'boolean', help: 'print version and commit, as kubectl multus version', group: 'general', commands: ['version']},
} as const satisfies Record<string, FlagDeclaration>;

export type FlagKey = keyof typeof flagDeclarations;

/** The value a parsed flag has in the program, from its kind. */
type ChoiceOf<D> = (D extends {values: readonly (infer V)[]} ? V : never) | (D extends {valuesIn: Partial<Record<string, readonly (infer W)[]>>} ? W : never);
type ValueOf<D> = D extends {kind: 'boolean'}
	? boolean
	: D extends {kind: 'choice'; default: string}
		? ChoiceOf<D>
		: D extends {kind: 'choice'}
			? ChoiceOf<D> | undefined
			: D extends {kind: 'duration' | 'count' | 'bytes'}
				? number
				: string | undefined;

/** Every flag's parsed value: durations in milliseconds, counts and byte counts as numbers, choices as their union. */
export type FlagValues = {-readonly [K in FlagKey]: ValueOf<(typeof flagDeclarations)[K]>};

/** `requestTimeout` -> `request-timeout`. */
export function flagName(key: string): string {
	return key.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`);
}

/** The flag as the user writes it: `--no-restart` for a negated boolean, else `--NAME`. */
export function flagSpelling(key: FlagKey): string {
	const declaration: FlagDeclaration = flagDeclarations[key];
	return `--${declaration.negated ? 'no-' : ''}${flagName(key)}`;
}

/** The values a choice takes in `command` (its own, else the flag's). */
export function valuesOf(key: FlagKey, command: CommandName | undefined): readonly string[] | undefined {
	const declaration: FlagDeclaration = flagDeclarations[key];
	return (command && declaration.valuesIn?.[command]) ?? declaration.values;
}

/** The default in `command` (its own, else the flag's). */
export function defaultOf(key: FlagKey, command: CommandName | undefined): string | boolean | undefined {
	const declaration: FlagDeclaration = flagDeclarations[key];
	return (command && declaration.defaultIn?.[command]) ?? declaration.default;
}

/** The flags a command takes (every flag when `command` is undefined: the general help), in declaration order. */
export function flagsOf(command: CommandName | undefined): FlagKey[] {
	return (Object.keys(flagDeclarations) as FlagKey[]).filter(key => {
		const declaration: FlagDeclaration = flagDeclarations[key];
		return command === undefined || declaration.commands.includes(command);
	});
}

/**
 * What a combination rule reads: the command, every flag's value, the flags given, and why this run cannot ask
 * anything (`-o json`, `CI=true`, `TERM=dumb`, no terminal), undefined when it shows the terminal view.
 */
export interface FlagRun {
	readonly command: CommandName;
	readonly values: FlagValues;
	readonly given: ReadonlySet<FlagKey>;
	readonly noTerminal: string | undefined;
}

export interface FlagCombination {
	readonly commands: readonly CommandName[];
	/** The problem and its fix when the run has the combination; undefined when it has not. */
	readonly refuse: (run: FlagRun) => readonly [problem: string, fix: string] | undefined;
}

const several = ({values}: FlagRun) => values.allContexts || values.contexts !== undefined;
const picked = ({values}: FlagRun) => (values.allContexts ? '--all-contexts' : '--contexts');
/** The flag of a run that changes nothing, where the flags that only shape a fix have nothing to shape. */
const changingNothing = ({values}: FlagRun) => (values.check ? '--check' : values.emit ? '--emit' : undefined);

/**
 * The combinations of flags refused before anything is read or connected (exit 2, once for the whole run, a fleet
 * too), in the order they are checked: flags that contradict each other, and flags whose effect the user expects
 * and would not get. A flag that is merely idle in a mode (--timeout with --check) stays accepted, as in kubectl.
 */
export const flagCombinations: readonly FlagCombination[] = [
	{
		commands: ['doctor'],
		refuse: ({values}) => (values.allContexts && values.contexts !== undefined ? ['--all-contexts and --contexts contradict each other', 'use --all-contexts for every context, or --contexts NAMES for some'] : undefined),
	},
	{
		commands: ['doctor'],
		refuse: run => {
			const stray = several(run) ? undefined : (['parallel', 'confirmEach', 'emitDir'] as const).find(key => run.given.has(key));
			return stray === undefined ? undefined : [`${flagSpelling(stray)} goes with several contexts`, 'add --all-contexts or --contexts NAMES'];
		},
	},
	{
		commands: ['doctor'],
		refuse: run => {
			const single = several(run) ? (['context', 'cluster', 'user'] as const).find(key => run.given.has(key)) : undefined;
			return single === undefined ? undefined : [`${flagSpelling(single)} picks one context; ${picked(run)} picks several`, `leave out ${flagSpelling(single)}, or run without ${picked(run)}`];
		},
	},
	{
		commands: ['doctor'],
		refuse: run => (several(run) && run.values.emit && run.values.emitDir === undefined ? [`--emit with ${picked(run)} writes one file per context`, 'add --emit-dir DIR'] : undefined),
	},
	{
		commands: ['doctor'],
		refuse: ({values}) => (values.emitDir !== undefined && !values.emit ? ['--emit-dir needs --emit patch|manifest', 'add --emit patch or --emit manifest'] : undefined),
	},
	{commands: ['doctor'], refuse: ({values}) => (values.emitDir === '' ? ['--emit-dir is empty', 'give the directory to write the files into'] : undefined)},
	{commands: changing, refuse: ({values}) => (values.check && values.yes ? ['--check and --yes contradict each other', 'use --check to diagnose, or --yes to fix'] : undefined)},
	{
		// --check stops at the plan: no permission checks, no server-side dry run, so a dry run asked with it would not come.
		commands: ['doctor'],
		refuse: ({values}) => {
			if (!values.check || values.dryRun === 'none') return undefined;
			const dryRun = `--dry-run=${values.dryRun}`;
			return [
				values.dryRun === 'server'
					? '--check never writes, not even a dry run: with it --dry-run=server would send nothing to the API server'
					: '--check only diagnoses: with it --dry-run=client would not preview the fix (no permission checks, no dry-run outcome)',
				`leave out --check to dry-run the fix${values.dryRun === 'server' ? ' against the API server' : ''} (${dryRun}: nothing is stored), or leave out ${dryRun} to only diagnose`,
			];
		},
	},
	{
		commands: ['doctor'],
		refuse: ({values}) => (values.emit && (values.yes || values.dryRun !== 'none' || values.output !== 'text')
			? ['--emit prints the fix and changes nothing: it does not go with --yes, --dry-run or -o', 'use --emit patch|manifest alone (with --check if you like)']
			: undefined),
	},
	{
		commands: ['doctor'],
		refuse: ({values}) => (values.confirmEach && values.yes
			? ['--confirm-each and --yes contradict each other', 'use --confirm-each to be asked for each cluster, or --yes to fix every cluster without asking']
			: undefined),
	},
	{
		// They shape the fix (what is patched, whether the DaemonSet restarts, how the user is asked): a run that
		// changes nothing would silently leave them out.
		commands: ['doctor'],
		refuse: run => {
			// A dry run previews --force and --no-restart too; it asks nothing.
			const mode = changingNothing(run) ?? (run.values.dryRun !== 'none' ? '--dry-run' : undefined);
			const shaping = mode === '--dry-run' ? (['confirmEach'] as const) : (['force', 'restart', 'confirmEach'] as const);
			const idle = mode === undefined ? undefined : shaping.find(key => (key === 'restart' ? !run.values.restart : run.values[key]));
			return idle === undefined ? undefined : [`${flagSpelling(idle)} only matters when fixing, and ${mode} changes nothing`, `leave out ${flagSpelling(idle)}, or leave out ${mode} to fix`];
		},
	},
	{
		commands: ['doctor'],
		refuse: ({values, noTerminal}) => (values.confirmEach && noTerminal !== undefined
			? [
				`--confirm-each asks in the terminal view, and this run has none (${noTerminal}): nothing would be asked`,
				'run it in a terminal to be asked for each cluster; without one, --yes fixes every cluster without asking, and --check only diagnoses',
			]
			: undefined),
	},
	{
		commands: cluster,
		refuse: ({values}) => (values.asGroup !== undefined && values.as === undefined ? ['--as-group needs --as', 'kubectl also requires --as when impersonating groups'] : undefined),
	},
];
