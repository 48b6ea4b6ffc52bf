import {ExitCode} from '../exit-codes.js';

// kubectl's plugin completion convention: kubectl runs `kubectl_complete-multus <args...> <partial word>` and
// reads one candidate per line; a last line `:<n>` is a cobra ShellCompDirective.
const directive = {default: 0, noSpace: 2, noFileComp: 4} as const;

export const commands: Record<string, string> = {
	doctor: 'find Multus, detect the RBAC problem, fix it and prove it',
	scan: 'classify Multus log text offline',
	undo: 'restore the rules doctor replaced',
	version: 'print version and commit',
};

const connectionFlags = [
	'--kubeconfig', '--context', '--cluster', '--user', '--namespace', '-n', '--as', '--as-group', '--as-uid',
	'--request-timeout', '--output', '-o', '--help',
];
const flagsByCommand: Record<string, string[]> = {
	doctor: [
		...connectionFlags, '--check', '--yes', '-y', '--dry-run', '--no-restart', '--force', '--timeout', '--daemonset',
		'--log-pods', '--log-bytes', '--emit',
	],
	undo: [...connectionFlags, '--yes', '-y', '--dry-run', '--force'],
	scan: ['--output', '-o', '--help'],
	version: ['--output', '-o'],
};
const valuesByFlag: Record<string, string[]> = {
	'--output': ['text', 'json', 'yaml'],
	'-o': ['text', 'json', 'yaml'],
	'--dry-run': ['client', 'server', 'none'],
	'--emit': ['patch', 'manifest'],
};

/** Candidates for the word being completed, given the words before it. */
export function completions(words: string[]): {candidates: string[]; directive: number} {
	const partial = words.at(-1) ?? '';
	const before = words.slice(0, -1);
	const command = before.find(word => !word.startsWith('-'));
	const previous = before.at(-1);
	if (previous && valuesByFlag[previous]) {
		return {candidates: valuesByFlag[previous].filter(v => v.startsWith(partial)), directive: directive.noFileComp};
	}
	if (!command) {
		if (partial.startsWith('-')) return {candidates: ['--help'], directive: directive.noFileComp};
		return {
			candidates: Object.entries(commands)
				.filter(([name]) => name.startsWith(partial))
				.map(([name, about]) => `${name}\t${about}`),
			directive: directive.noFileComp,
		};
	}
	if (partial.startsWith('-')) {
		return {candidates: (flagsByCommand[command] ?? []).filter(f => f.startsWith(partial)), directive: directive.noFileComp};
	}
	// scan takes a file; everything else takes flags only.
	return {candidates: [], directive: command === 'scan' ? directive.default : directive.noFileComp};
}

export function runComplete(words: string[]): number {
	const {candidates, directive: code} = completions(words.length === 0 ? [''] : words);
	process.stdout.write([...candidates, `:${code}`].join('\n') + '\n');
	return ExitCode.Ok;
}
