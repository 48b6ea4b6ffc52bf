// Which kubeconfig contexts a fleet run takes: every one (--all-contexts) or those a list of names and globs
// (--contexts) matches, in the kubeconfig's order. Pure: the kubeconfig's contexts come in as data.
import {usageError} from '../errors.js';
import type {KubeconfigContext} from '../kube/config.js';

/** --all-contexts, or the names and globs of --contexts (comma-separated). */
export type ContextSelection = {all: true} | {patterns: string[]};

/** `edge-*` matches `edge-1`: `*` is any run of characters, `?` one character; everything else is itself. */
export function globMatches(pattern: string, name: string): boolean {
	const source = [...pattern].map(char => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\/-]/g, '\\$&'))).join('');
	return new RegExp(`^${source}$`, 's').test(name);
}

/** The words of --contexts: comma-separated, blanks around them dropped; an empty list is a usage error. */
export function contextPatterns(text: string): string[] {
	const patterns = text.split(',').map(word => word.trim()).filter(Boolean);
	if (patterns.length === 0) throw usageError('--contexts is empty', 'give context names or globs, comma-separated: --contexts edge-*,prod');
	return patterns;
}

/**
 * The contexts selected, in the kubeconfig's order, each once. A pattern that matches nothing is a usage error
 * (a typo must not silently shrink the fleet), and so is a kubeconfig without contexts.
 */
export function selectContexts(available: readonly KubeconfigContext[], selection: ContextSelection, source: string): KubeconfigContext[] {
	if (available.length === 0) throw usageError(`${source} has no contexts`, 'create one with kubectl config set-context, or point KUBECONFIG at the files that hold them');
	if ('all' in selection) return [...available];
	const unmatched = selection.patterns.filter(pattern => !available.some(context => globMatches(pattern, context.name)));
	if (unmatched.length > 0) {
		throw usageError(`--contexts: ${unmatched.map(pattern => `"${pattern}"`).join(', ')} matches no context in ${source}`, `the contexts are: ${available.map(context => context.name).join(', ')}`);
	}
	return available.filter(context => selection.patterns.some(pattern => globMatches(pattern, context.name)));
}
