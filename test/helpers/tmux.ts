// Drives a command in a real terminal (tmux): type keys, read the screen, get the exit code.
import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {questionArmMs} from '../../source/ui/keys.js';

export interface TerminalSession {
	/**
	 * The screen and its scrollback as text; with `escapes`, the colours and attributes too (capture-pane -e); with
	 * `joined`, lines the terminal had to wrap (the program wrote past the last column) as one line (-J).
	 */
	screen(options?: {escapes?: boolean; joined?: boolean}): string;
	send(...keys: string[]): void;
	/** Answers the question on screen as a person would: once it has been there a moment (keys before are dropped). */
	answer(...keys: string[]): Promise<void>;
	/** Resizes the terminal, as a user dragging the window would. */
	resize(columns: number, rows: number): void;
	/** Sends `signal` to the command (the children of the pane's shell), as `kill` from another terminal would. */
	signal(signal: NodeJS.Signals): void;
	waitForScreen(pattern: RegExp, timeoutMs?: number): Promise<string>;
	waitForExit(timeoutMs?: number): Promise<number>;
	kill(): void;
}

function shellQuote(value: string): string {
	return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Starts `command` (argv) in a detached tmux session of the given size, with `env` added. */
export function startTerminal(command: string[], env: NodeJS.ProcessEnv, size = {columns: 120, rows: 60}): TerminalSession {
	const name = `kubectl-multus-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
	const dir = mkdtempSync(path.join(tmpdir(), 'tmux-e2e-'));
	const exitFile = path.join(dir, 'exit');
	const exports = Object.entries(env)
		.filter(([key, value]) => value !== undefined && /^(PATH|KUBECONFIG|NO_COLOR|HOME|TERM|CLUSTER_NAME|KUBECTL_MULTUS_CACHE|XDG_CACHE_HOME)$/.test(key))
		.map(([key, value]) => `export ${key}=${shellQuote(value!)};`)
		.join(' ');
	// A terminal session is a person at a keyboard, even when the suite runs in CI: Ink and the CLI treat CI=true
	// as non-interactive, and a tmux server started from CI would pass it on.
	const script = `unset CI CONTINUOUS_INTEGRATION; ${exports} ${command.map(shellQuote).join(' ')}; echo $? > ${shellQuote(exitFile)}; sleep 600`;
	execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', String(size.columns), '-y', String(size.rows), 'bash', '-c', script], {env: {...process.env, TERM: 'xterm-256color'}});
	const session: TerminalSession = {
		screen: options => execFileSync('tmux', ['capture-pane', '-p', ...(options?.escapes ? ['-e'] : []), ...(options?.joined ? ['-J'] : []), '-t', name, '-S', '-200']).toString(),
		send: (...keys) => execFileSync('tmux', ['send-keys', '-t', name, ...keys]),
		async answer(...keys) {
			await new Promise(resolve => setTimeout(resolve, questionArmMs + 100));
			session.send(...keys);
		},
		resize: (columns, rows) => execFileSync('tmux', ['resize-window', '-t', name, '-x', String(columns), '-y', String(rows)]),
		signal(signal) {
			const shell = execFileSync('tmux', ['display-message', '-p', '-t', name, '#{pane_pid}']).toString().trim();
			for (const pid of execFileSync('pgrep', ['-P', shell]).toString().trim().split('\n')) process.kill(Number(pid), signal);
		},
		async waitForScreen(pattern, timeoutMs = 60_000) {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const text = session.screen();
				if (pattern.test(text)) return text;
				if (Date.now() > deadline) throw new Error(`screen never matched ${pattern}:\n${text}`);
				await new Promise(resolve => setTimeout(resolve, 100));
			}
		},
		async waitForExit(timeoutMs = 120_000) {
			const deadline = Date.now() + timeoutMs;
			while (!existsSync(exitFile) || readFileSync(exitFile, 'utf8').trim() === '') {
				if (Date.now() > deadline) throw new Error(`no exit after ${timeoutMs} ms:\n${session.screen()}`);
				await new Promise(resolve => setTimeout(resolve, 100));
			}
			return Number(readFileSync(exitFile, 'utf8').trim());
		},
		kill: () => {
			try {
				execFileSync('tmux', ['kill-session', '-t', name], {stdio: 'ignore'});
			} catch {}
		},
	};
	return session;
}
