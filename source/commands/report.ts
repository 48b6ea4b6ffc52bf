import {chmodSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {terminalSafe} from '../ansi.js';
import {MultusError, usageError} from '../errors.js';
import {ExitCode} from '../exit-codes.js';
import {connectKube} from '../kube/client.js';
import type {ReportOptions} from '../options.js';
import {collectReport, type Collected} from '../report/collect.js';
import {excerptLines, logFile, reportDocument, withRedactedLogs, type ReportDocument} from '../report/document.js';
import {markdownBudget, reportMarkdown} from '../report/markdown-report.js';
import {keepEverything, redactor, type Redactor} from '../report/redact.js';
import {tarGz, withDirectories, type TarEntry} from '../report/tar.js';
import type {FlowEnv} from '../doctor/steps/step.js';
import {versionInfo} from '../version.js';

/** What the command writes to, and how it connects (tests pass their own). */
export interface ReportEnv extends FlowEnv {
	stdout(text: string): void;
	stderr(text: string): void;
}

const processEnv: ReportEnv = {
	connect: connectKube,
	stdout: text => process.stdout.write(text),
	stderr: text => process.stderr.write(text),
};

/** The host of the API server's URL (a host name to redact; an address is redacted as one anyway). */
function serverHost(server: string): string[] {
	try {
		return [new URL(server).hostname.replace(/^\[|\]$/g, '')];
	} catch {
		return [];
	}
}

/**
 * The report's outputs, redacted with one redactor, so a placeholder means the same value everywhere: each log read
 * whole first, then the document cut from it. The Markdown is kept within markdownBudget (a GitHub issue's body) by
 * fewer log lines per pod, the JSON being the same document; the bundle's logs are the whole reads.
 */
export function reportOutputs(collected: Collected, redact: boolean, withLogs: boolean): {document: ReportDocument; markdown: string; json: string; logs: TarEntry[]} {
	const redaction: Redactor = redact ? redactor({hosts: [...serverHost(collected.connection.server), ...collected.nodes]}) : keepEverything();
	const safe = withRedactedLogs(collected, redaction);
	const logs = withLogs ? safe.samples.filter(sample => sample.text !== undefined).map(sample => ({path: logFile(sample), content: sample.text!})) : [];
	const made = (most: number) => {
		const document = redaction.value(reportDocument(safe, versionInfo(), most));
		document.redacted = redact ? redaction.counts() : null;
		return {document, markdown: reportMarkdown(document)};
	};
	let report = made(excerptLines);
	for (let most = excerptLines >> 1; report.markdown.length > markdownBudget && report.document.logs; most >>= 1) {
		report = made(most);
		if (most === 0) break;
	}
	return {...report, json: JSON.stringify(report.document, null, 2) + '\n', logs};
}

/** The directory a bundle unpacks to: its file's name without .tar.gz or .tgz. */
export function bundleDirectory(file: string): string {
	const base = path.basename(file).replace(/\.(tar\.gz|tgz)$/i, '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
	return base || 'multus-report';
}

/**
 * Writes `content` to `file` whole or not at all: a temporary file next to it, readable by its owner only (with
 * --no-redact it holds raw tokens), then renamed over `file`, which ends with that mode whether it existed or not.
 */
function writeWhole(file: string, content: Buffer): void {
	const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.partial`);
	try {
		rmSync(temporary, {force: true});
		writeFileSync(temporary, content, {mode: 0o600, flag: 'wx'});
		chmodSync(temporary, 0o600);
		renameSync(temporary, file);
	} catch (error) {
		rmSync(temporary, {force: true});
		const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
		throw usageError(`cannot write the bundle ${file}: ${reason}`, 'give --bundle a file in a directory you can write to');
	}
}

/** `kubectl multus report`: collect read-only, redact, and print Markdown or JSON, or write a bundle. */
export async function runReport(options: ReportOptions, env: ReportEnv = processEnv): Promise<number> {
	const controller = new AbortController();
	const onSignal = () => {
		if (controller.signal.aborted) process.exit(130);
		controller.abort();
	};
	process.on('SIGINT', onSignal);
	try {
		const collected = await collectReport(options, env, controller.signal);
		if (controller.signal.aborted) throw new MultusError('Cancelled', 'cancelled: no report written');
		const outputs = reportOutputs(collected, options.redact, options.bundle !== undefined);
		if (options.bundle === undefined) {
			env.stdout(options.output === 'md' ? outputs.markdown : outputs.json);
			return ExitCode.Ok;
		}
		const top = bundleDirectory(options.bundle);
		const files: TarEntry[] = [
			{path: `${top}/report.md`, content: outputs.markdown},
			{path: `${top}/report.json`, content: outputs.json},
			...outputs.logs.map(log => ({path: `${top}/${log.path}`, content: log.content})),
		];
		const archive = tarGz(withDirectories(files), new Date(collected.generatedAt));
		writeWhole(options.bundle, archive);
		env.stderr(terminalSafe(`wrote ${options.bundle} (${Math.ceil(archive.length / 1024)} KiB): ${top}/report.md, report.json and ${outputs.logs.length} log(s) under logs/${options.redact ? '' : ', nothing redacted (--no-redact)'}`) + '\n');
		return ExitCode.Ok;
	} finally {
		process.off('SIGINT', onSignal);
	}
}
