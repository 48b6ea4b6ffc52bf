// Names in the commands printed for the user to paste (hints such as `kubectl get clusterrole NAME -o yaml`):
// quoted for the shell, once, here. A ClusterRole may be named `multus;touch PWNED;` (RBAC names only forbid "/"
// and "%"), a context anything at all; pasted unquoted, such a hint runs what the name says.
import {unsafeClass} from './ansi.js';

/** Words a POSIX shell reads as they are: no quoting needed. */
const plainWord = /^[A-Za-z0-9@%+=:,./_-]+$/;
const unsafe = new RegExp(unsafeClass, 'u');

/** bash/zsh ANSI-C escapes of a character's UTF-8 bytes (`\x1b`, `\xe2\x80\xae`): exact whatever the locale. */
function ansiC(char: string): string {
	return [...new TextEncoder().encode(char)].map(byte => `\\x${byte.toString(16).padStart(2, '0')}`).join('');
}

/**
 * `word` as one shell word that means exactly `word`: as it is when it needs no quoting, else in single quotes; and
 * when it holds control, invisible or bidi characters, in `$'…'` with each of them written as an escape, so that
 * what the terminal shows is what runs (bash and zsh read `$'…'`; a name like that is rare and suspicious anyway).
 */
export function shellQuote(word: string): string {
	if (plainWord.test(word)) return word;
	if (!unsafe.test(word)) return `'${word.replaceAll("'", `'\\''`)}'`;
	return `$'${[...word].map(char => (unsafe.test(char) || char === "'" || char === '\\' || char === '!' ? ansiC(char) : char)).join('')}'`;
}
