import {ExitCode} from '../exit-codes.js';
import {commandDeclarations, commandNames, flagDeclarations, flagSpelling, flagsOf, valuesOf, type CommandName, type FlagDeclaration} from '../flags.js';

// kubectl's plugin completion convention: kubectl runs `kubectl_complete-multus <args...> <partial word>` and
// reads one candidate per line; a last line `:<n>` is a cobra ShellCompDirective.
const directive = {default: 0, noSpace: 2, noFileComp: 4} as const;

/** Every spelling of each flag a command takes (`--namespace`, `-n`), and the values completion offers after it. */
function spellingsOf(command: CommandName | undefined): {flags: string[]; valuesByFlag: Map<string, readonly string[]>; bareFlags: Set<string>; fileFlags: Set<string>} {
	const flags: string[] = [];
	const valuesByFlag = new Map<string, readonly string[]>();
	const bareFlags = new Set<string>();
	const fileFlags = new Set<string>();
	for (const key of flagsOf(command).filter(key => command !== undefined || flagDeclarations[key].group === 'general')) {
		const declaration: FlagDeclaration = flagDeclarations[key];
		const spellings = [flagSpelling(key), ...(declaration.short ? [`-${declaration.short}`] : [])];
		flags.push(...spellings);
		const values = valuesOf(key, command);
		if (values) for (const spelling of spellings) valuesByFlag.set(spelling, values);
		// A flag with a bare meaning (--dry-run) takes its value only after "=": it is not offered as the next word.
		if (declaration.values && declaration.bare !== undefined) bareFlags.add(flagSpelling(key));
		// A file or directory name follows (--bundle FILE, --kubeconfig PATH, --emit-dir DIR): the shell completes it.
		if (declaration.value === 'FILE' || declaration.value === 'PATH' || declaration.value === 'DIR') for (const spelling of spellings) fileFlags.add(spelling);
	}
	return {flags, valuesByFlag, bareFlags, fileFlags};
}

/** Candidates for the word being completed, given the words before it. */
export function completions(words: string[]): {candidates: string[]; directive: number} {
	const partial = words.at(-1) ?? '';
	const before = words.slice(0, -1);
	const named = commandWord(before);
	const command = (commandNames as readonly (string | undefined)[]).includes(named) ? (named as CommandName) : undefined;
	const {flags, valuesByFlag, bareFlags, fileFlags} = spellingsOf(command);
	const previous = before.at(-1) ?? '';
	if (fileFlags.has(previous)) return {candidates: [], directive: directive.default};
	const values = bareFlags.has(previous) ? undefined : valuesByFlag.get(previous);
	if (values) return {candidates: values.filter(value => value.startsWith(partial)), directive: directive.noFileComp};
	const equals = partial.indexOf('=');
	if (partial.startsWith('--') && equals > 0) {
		const flag = partial.slice(0, equals);
		const candidates = (valuesByFlag.get(flag) ?? []).map(value => `${flag}=${value}`).filter(word => word.startsWith(partial));
		return {candidates, directive: directive.noFileComp};
	}
	if (partial.startsWith('-')) return {candidates: flags.filter(flag => flag.startsWith(partial)), directive: directive.noFileComp};
	if (named === undefined) {
		return {
			candidates: commandNames.filter(name => name.startsWith(partial)).map(name => `${name}\t${commandDeclarations[name].about}`),
			directive: directive.noFileComp,
		};
	}
	// scan takes a file; everything else takes flags only.
	return {candidates: [], directive: command === 'scan' ? directive.default : directive.noFileComp};
}

/** The first word that is neither a flag nor a flag's value (`-n kube-system undo` names undo, not kube-system). */
function commandWord(words: readonly string[]): string | undefined {
	const takesValue = new Set<string>();
	for (const key of flagsOf(undefined)) {
		const declaration: FlagDeclaration = flagDeclarations[key];
		// A boolean takes none, and a flag with a bare meaning (--dry-run) takes its value only after "=".
		if (declaration.kind === 'boolean' || declaration.bare !== undefined) continue;
		takesValue.add(flagSpelling(key));
		if (declaration.short) takesValue.add(`-${declaration.short}`);
	}
	for (let index = 0; index < words.length; index++) {
		const word = words[index]!;
		if (!word.startsWith('-')) return word;
		if (takesValue.has(word)) index++;
	}
	return undefined;
}

export function runComplete(words: string[]): number {
	const {candidates, directive: code} = completions(words.length === 0 ? [''] : words);
	process.stdout.write([...candidates, `:${code}`].join('\n') + '\n');
	return ExitCode.Ok;
}
