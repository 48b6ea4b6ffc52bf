import {describeRule} from '../multus/rbac.js';
import {formatDuration} from '../duration.js';
import type {DoctorState} from './machine.js';
import type {Diagnosis, FailureInfo, Found, LogEvidence, PatchResult, Plan, RestartResult, RolloutView, StepId, Verification} from './model.js';
import type {RolloutProgress} from '../multus/rollout.js';

// What each step says, as styled lines. The Ink views and the plain printer both render these, so the words
// are written once; only the drawing differs.

export type Style = 'ok' | 'bad' | 'warn' | 'dim' | 'add' | 'bold' | 'accent' | 'plain';
export interface Segment {
	text: string;
	style?: Style;
}
export type Line = Segment[];

const s = (text: string, style: Style = 'plain'): Segment => ({text, style});
const line = (...segments: Array<Segment | string>): Line => segments.map(seg => (typeof seg === 'string' ? s(seg) : seg));

export const marks = {ok: '✔', bad: '✖', warn: '!', pending: '·', add: '+', skipped: '–'} as const;

export function connectLines(state: DoctorState): Line[] {
	const c = state.connection;
	if (!c) return [];
	return [
		line('context ', s(c.context, 'bold'), `  cluster ${c.cluster} (${c.server}, ${c.serverVersion})`),
		line(`user ${c.user}${c.impersonating ? ` as ${c.impersonating}` : ''}`, s(`  from ${c.kubeconfigSource}`, 'dim')),
	];
}

export function findLines(found: Found | undefined): Line[] {
	if (!found) return [];
	const ds = found.daemonSet;
	const lines: Line[] = [
		line('DaemonSet ', s(`${ds.namespace}/${ds.name}`, 'bold'), `  ${ds.mode}`, s(` (${ds.evidence.join(', ')})`, 'dim')),
		line(`image ${ds.image}`, ds.version ? s(`  version ${ds.version}`, 'dim') : ''),
		line(`pods ${found.ready}/${found.desired} ready  ServiceAccount `, s(`${ds.namespace}:${ds.serviceAccount}`, 'bold')),
	];
	if (found.roles.length === 0) lines.push(line(s(`${marks.bad} no ClusterRole is bound to ${found.identity.user}`, 'bad')));
	// Roles reached only through the built-in groups every ServiceAccount is in: one line, not a list.
	const viaGroupsOnly = (role: Found['roles'][number]) => role.name.startsWith('system:') && role.grants.every(g => g.shared);
	const builtin = found.roles.filter(viaGroupsOnly);
	for (const role of found.roles.filter(role => !viaGroupsOnly(role))) {
		lines.push(
			line(
				'ClusterRole ',
				s(role.name, 'bold'),
				s(` via ${role.grants.map(g => `ClusterRoleBinding ${g.binding} (${g.via})`).join(', ')}`, 'dim'),
				role.owner ? s(`  managed by ${role.owner.name}`, 'warn') : '',
			),
		);
	}
	if (builtin.length) lines.push(line(s(`+ ${builtin.length} built-in role(s) every ${ds.perNodeCertificates ? 'authenticated user' : 'ServiceAccount'} gets through its groups (${builtin.map(r => r.name.replace(/^system:/, '')).join(', ')})`, 'dim')));
	for (const note of found.lookalikeBindings) lines.push(line(s(`${marks.warn} ${note}`, 'warn')));
	if (ds.perNodeCertificates) {
		lines.push(line(s(`${marks.warn} per-node certificates: each daemon authenticates as system:multus:<node> in group system:multus, not as its ServiceAccount; checked as ${found.identity.user}`, 'warn')));
	}
	return lines;
}

/** RFC 3339 timestamps to the second; other forms (klog headers) as they are. */
function shortTime(timestamp: string | undefined): string {
	return timestamp?.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/, '$1$3') ?? '';
}

export function logLines(logs: LogEvidence, label = 'logs'): Line[] {
	if (logs.state === 'unavailable') {
		return [line(s(`${marks.warn} ${label}: could not read (${logs.errors[0] ?? 'no pods'})`, 'warn'))];
	}
	if (logs.state === 'clean') {
		return [line(s(`${marks.ok} ${label}: `, 'ok'), `no forbidden lines in ${logs.podsRead} pod(s) (${Math.round(logs.bytesRead / 1024)} KiB read)`)];
	}
	const lines: Line[] = [
		line(
			s(`${marks.bad} ${label}: `, 'bad'),
			s(`${logs.count} forbidden ${logs.verbs.join('/')} line(s)`, 'bold'),
			` in ${logs.nodes.length} of ${logs.podsRead} sampled pod(s)`,
			logs.firstSeen ? s(`  first ${shortTime(logs.firstSeen)}, last ${shortTime(logs.lastSeen)}`, 'dim') : '',
		),
	];
	if (logs.nodes.length) lines.push(line(s(`    nodes: ${logs.nodes.join(', ')}`, 'dim')));
	for (const example of logs.examples.slice(0, 1)) lines.push(line(s(`    ${example}`, 'dim')));
	for (const other of logs.lookalikes) lines.push(line(s(`    also ${other.count} ${other.kind} line(s): not this bug`, 'dim')));
	return lines;
}

export function accessLines(access: Diagnosis['access'], user: string): Line[] {
	return (['list', 'watch'] as const).map(verb => {
		const answer = access[verb];
		return line(
			s(`${answer.allowed ? marks.ok : marks.bad} access review: `, answer.allowed ? 'ok' : 'bad'),
			`${user} ${answer.allowed ? 'can' : 'cannot'} ${verb} pods at cluster scope`,
			answer.reason ? s(`  (${answer.reason})`, 'dim') : '',
		);
	});
}

export function detectLines(diagnosis: Diagnosis | undefined, found: Found | undefined): Line[] {
	if (!diagnosis || !found) return [];
	const missing = diagnosis.rules.missing;
	return [
		...logLines(diagnosis.logs),
		...accessLines(diagnosis.access, found.identity.user),
		missing.length === 0
			? line(s(`${marks.ok} rules: `, 'ok'), `the bound roles grant what the ${found.daemonSet.mode} daemon needs`)
			: line(s(`${marks.bad} rules: `, 'bad'), `missing ${missing.map(describeRule).join('; ')}`),
		...diagnosis.rules.advisoryMissing.map(rule => line(s(`${marks.warn} advisory: `, 'warn'), `missing ${describeRule(rule)}`, s(' (warned, not patched)', 'dim'))),
		line(s(diagnosis.summary, diagnosis.verdict === 'healthy' ? 'ok' : 'bad')),
	];
}

/** The current rules and the needed ones, every rule with a mark; what will be added is highlighted. */
export interface RuleDiffRow {
	mark: ' ' | '+';
	text: string;
	why?: string;
}

export function ruleDiff(plan: Plan, diagnosis: Diagnosis): {current: RuleDiffRow[]; needed: RuleDiffRow[]; after: RuleDiffRow[]} {
	const current = plan.patch.before.map(rule => ({mark: ' ' as const, text: describeRule(rule)}));
	const needed = diagnosis.rules.requirements.map(req => ({
		mark: req.covered ? (' ' as const) : ('+' as const),
		text: `${req.covered ? marks.ok : req.level === 'blocking' ? marks.bad : marks.warn} ${describeRule(req.rule)}`,
		why: req.why,
	}));
	const after = plan.patch.after.map((rule, index) => {
		const added = index >= plan.patch.before.length || describeRule(rule) !== describeRule(plan.patch.before[index]!);
		return {mark: added ? ('+' as const) : (' ' as const), text: describeRule(rule)};
	});
	return {current, needed, after};
}

/** The headings of the rule comparison, shared by the plain listing and the side-by-side view. */
export function ruleDiffHeadings(plan: Plan): {current: string; needed: string; change: string} {
	return {current: `ClusterRole ${plan.role} now:`, needed: 'Multus needs:', change: 'Change (only additions; nothing removed or widened):'};
}

/** One row of "Multus needs": missing blocking rules are bad, missing advisory ones a warning. */
export function neededRowStyle(row: RuleDiffRow): Style {
	return row.mark === '+' ? (row.text.startsWith(marks.bad) ? 'bad' : 'warn') : 'plain';
}

/** The rules the patch adds. */
export function planChangeLines(plan: Plan): Line[] {
	return [line(s(ruleDiffHeadings(plan).change, 'bold')), ...plan.patch.missing.map(rule => line(s(`  ${marks.add} ${describeRule(rule)}`, 'add')))];
}

/** The exact request: the JSON patch and the same fix as a file for kubectl auth reconcile. */
export function planPatchLines(plan: Plan): Line[] {
	const lines: Line[] = [line(s('JSON patch:', 'dim'))];
	for (const op of plan.operations.filter(op => !op.path.startsWith('/metadata/annotations'))) {
		lines.push(line(s(`    ${JSON.stringify(op)}`, 'dim')));
	}
	lines.push(line(s('    + annotations kubectl-multus.dev/previous-rules and kubectl-multus.dev/change (for undo)', 'dim')));
	lines.push(line(s('Same fix for kubectl auth reconcile -f - :', 'dim')));
	for (const yamlLine of plan.reconcileYaml.trimEnd().split('\n')) lines.push(line(s(`    ${yamlLine}`, 'dim')));
	return lines;
}

/** Whether the plan may be applied here: who manages the role, the caller's permissions, the server's dry run. */
export function planCheckLines(plan: Plan): Line[] {
	const lines: Line[] = [];
	if (plan.aggregate) {
		lines.push(line(s(`${marks.warn} ClusterRole ${plan.aggregate.role} is aggregated from ${plan.aggregate.sources.join(', ')}: patching source ${plan.aggregate.source} (${plan.aggregate.why}); the aggregation controller copies the rule into ${plan.aggregate.role}`, 'warn')));
	}
	if (plan.owner) lines.push(line(s(`${marks.warn} managed by ${plan.owner.name}: a manual patch would be reverted. Fix at the source: ${plan.owner.fix}`, 'warn')));
	if (plan.autoupdateDisabled) lines.push(line(s(`${marks.warn} rbac.authorization.kubernetes.io/autoupdate: "false": the doctor will not write this role`, 'warn')));
	for (const permission of plan.permissions) {
		const style = permission.allowed ? 'dim' : permission.optional ? 'warn' : 'bad';
		const mark = permission.allowed ? marks.ok : permission.optional ? marks.warn : marks.bad;
		lines.push(line(s(`${mark} you ${permission.allowed ? 'can' : 'cannot'} ${permission.description}`, style), permission.allowed ? '' : s(`  (grant: ${permission.grant}${permission.optional ? '; the fix still works without it' : ''})`, 'dim')));
	}
	if (plan.serverDryRun === 'passed') lines.push(line(s(`${marks.ok} server-side dry run accepted the patch`, 'dim')));
	return lines;
}

export function planLines(plan: Plan | undefined, diagnosis: Diagnosis | undefined): Line[] {
	if (!plan || !diagnosis) return [];
	const diff = ruleDiff(plan, diagnosis);
	const headings = ruleDiffHeadings(plan);
	const lines: Line[] = [line(s(headings.current, 'bold'))];
	for (const row of diff.current) lines.push(line(`    ${row.text}`));
	lines.push(line(s(headings.needed, 'bold')));
	for (const row of diff.needed) lines.push(line(s(`    ${row.text}`, neededRowStyle(row)), s(`  ${row.why ?? ''}`, 'dim')));
	return [...lines, ...planChangeLines(plan), ...planPatchLines(plan), ...planCheckLines(plan)];
}

/** What answering yes does, before it is done: the question, then each change in order. */
export function confirmLines(plan: Plan, found: Found | undefined, restart: boolean): {question: Line; effects: Line[]} {
	const ds = found ? `${found.daemonSet.namespace}/${found.daemonSet.name}` : 'the Multus DaemonSet';
	const effects: Line[] = [
		line(s('1. ', 'dim'), 'patch ClusterRole ', s(plan.role, 'bold'), ': ', s(plan.patch.missing.map(rule => `${marks.add} ${describeRule(rule)}`).join('; '), 'add')),
		restart
			? line(s('2. ', 'dim'), 'restart DaemonSet ', s(ds, 'bold'), s(' (rolling, as kubectl rollout restart), watch the rollout, then verify', 'dim'))
			: line(s('2. ', 'dim'), `no restart (--no-restart): DaemonSet ${ds} keeps its pods; then verify`),
	];
	return {question: line(s(`Apply this change to ClusterRole ${plan.role}?`, 'bold'), ' [y/N]'), effects};
}

export function confirmAnswerLine(yes: boolean, viaFlag: boolean): Line {
	return line(s(yes ? (viaFlag ? 'yes (--yes)' : 'yes') : 'no', yes ? 'ok' : 'warn'));
}

export function patchedLine(patch: PatchResult): Line {
	return line(s(`${marks.ok} patched ClusterRole ${patch.role} (resourceVersion ${patch.resourceVersion})`, 'ok'));
}

export function restartedLine(restart: RestartResult): Line {
	return line(s(`${marks.ok} restart requested at ${restart.restartedAt} (generation ${restart.generation})`, 'ok'));
}

export function failureLine(failure: FailureInfo): Line {
	return line(s(`${marks.bad} ${failure.message}`, 'bad'));
}

/** The title line of the terminal UI: where we are, and what mode changes nothing. */
export function headerLine(state: DoctorState, mode: {context: string | undefined; check: boolean; dryRun: string}): Line {
	const context = state.connection?.context ?? mode.context;
	return line(
		s('kubectl multus doctor', 'bold'),
		context ? s(`  context ${context}`, 'accent') : s('  current context', 'dim'),
		mode.check ? s('  --check: diagnose only', 'warn') : '',
		mode.dryRun !== 'none' ? s(`  --dry-run=${mode.dryRun}: changes nothing`, 'warn') : '',
	);
}

/** Quit without waiting for the cancelled step (second Ctrl-C): what the cluster was left like. */
export function quitLine(clusterState: string): Line {
	return line(s(`${marks.bad} quit without waiting. `, 'bad'), clusterState);
}

/** The outcome, with a mark so that it reads the same without colour. */
export function outcomeLine(outcome: {exitCode: number; message: string}): Line {
	return line(s(`${outcome.exitCode === 0 ? marks.ok : marks.bad} ${outcome.message}`, outcome.exitCode === 0 ? 'ok' : 'bad'));
}

/** After a Ctrl-C: the running step stops at its next safe point; a second Ctrl-C soon after quits at once. */
export function cancellingLine(quitArmed: boolean): Line {
	return line(s(`cancelling: stopping at the next safe point (${quitArmed ? 'Ctrl-C again' : 'Ctrl-C twice'} to quit now)`, 'warn'));
}

/** A finished step folded to one line, for the step list. Undefined when the step has nothing to say. */
export function stepSummaryLine(state: DoctorState, step: StepId, viaFlag = false): Line | undefined {
	switch (step) {
		case 'connect': {
			const c = state.connection;
			return c ? line(s(c.context, 'bold'), s(`  ${c.server}, ${c.serverVersion}, user ${c.impersonating ?? c.user}`, 'dim')) : undefined;
		}
		case 'find': {
			const found = state.found;
			if (!found) return undefined;
			const ds = found.daemonSet;
			return line(s(`${ds.namespace}/${ds.name}`, 'bold'), ` ${ds.mode}`, s(`  ${found.ready}/${found.desired} ready, ServiceAccount ${ds.namespace}:${ds.serviceAccount}`, 'dim'));
		}
		case 'detect':
			return state.diagnosis ? line(s(state.diagnosis.summary, state.diagnosis.verdict === 'healthy' ? 'ok' : 'bad')) : undefined;
		case 'plan':
			return state.plan && !state.plan.patch.empty
				? line(s(`${marks.add} ${state.plan.patch.missing.map(describeRule).join('; ')}`, 'add'), s(` on ClusterRole ${state.plan.role}`, 'dim'))
				: undefined;
		case 'confirm':
			return state.confirm.state === 'answered' && state.confirm.answer !== undefined ? confirmAnswerLine(state.confirm.answer, viaFlag) : undefined;
		case 'patch':
			return state.patch ? patchedLine(state.patch) : undefined;
		case 'restart':
			return state.restart ? restartedLine(state.restart) : undefined;
		case 'rollout':
			return state.rollout ? rolloutHeadline(state.rollout) : undefined;
		case 'verify':
			return state.verification ? verifyLines(state.verification, state.found).at(-1) : undefined;
	}
}

/** A note the flow made (a write read back, a step skipped and why). */
export function noteLine(note: string): Line {
	return line(s(note, 'warn'));
}

export function rolloutHeadline(rollout: RolloutView): Line {
	const p = rollout.progress;
	const elapsed = formatDuration((rollout.finishedAt ?? Date.now()) - rollout.startedAt);
	return line(
		s(`${p.updated}/${p.desired} updated  ${p.ready}/${p.desired} ready  ${p.available}/${p.desired} available`, 'bold'),
		s(`  ${elapsed}${rollout.reconnects ? `  (watch resumed ${rollout.reconnects}×)` : ''}`, 'dim'),
	);
}

export const rolloutGlyphs = {done: '█', new: '▒', old: '░'} as const;

/** The widest bar drawn for a large cluster: wider says nothing more, and every glyph costs a terminal frame. */
export const rolloutBarMaxColumns = 60;

/** What the glyphs mean; a bar (large clusters) says how many nodes one glyph stands for. */
export function rolloutLegend(progress: RolloutProgress, width: number): Line {
	const scale = progress.byNode ? '' : `  (one glyph ≈ ${Math.max(1, Math.round(progress.desired / barColumns(progress, width)))} nodes)`;
	return line(s(`${rolloutGlyphs.done} updated and ready  ${rolloutGlyphs.new} new, not ready  ${rolloutGlyphs.old} old${scale}`, 'dim'));
}

function barColumns(progress: RolloutProgress, width: number): number {
	return Math.max(1, Math.min(rolloutBarMaxColumns, width, progress.desired));
}

/**
 * Small clusters: a grid of nodes, one glyph each in node order, wrapped to `width` (█ done, ▒ new not ready,
 * ░ old). Large clusters: one bar of at most 60 glyphs in proportion to the counts; a count above zero always
 * shows at least one glyph.
 */
export function rolloutGrid(rollout: RolloutView, width: number, maxRows = 4): string[] {
	const p = rollout.progress;
	if (!p.byNode) {
		const cols = barColumns(p, width);
		const total = Math.max(1, p.counts.done + p.counts.new + p.counts.old);
		const share = (count: number) => (count > 0 ? Math.max(1, Math.round((count / total) * cols)) : 0);
		const fresh = share(p.counts.new);
		const old = Math.min(cols - fresh, share(p.counts.old));
		const done = p.counts.done > 0 ? cols - fresh - old : 0;
		return [rolloutGlyphs.done.repeat(done) + rolloutGlyphs.new.repeat(fresh) + rolloutGlyphs.old.repeat(cols - done - fresh)];
	}
	const cells = p.cells.map(cell => rolloutGlyphs[cell]).join('');
	const cols = Math.max(10, width);
	const rows: string[] = [];
	for (let i = 0; i < cells.length && rows.length < maxRows; i += cols) rows.push(cells.slice(i, i + cols));
	if (cells.length > cols * maxRows) rows[maxRows - 1] = `${rows[maxRows - 1]!.slice(0, cols - 1)}…`;
	return rows;
}

export function rolloutStatusLine(rollout: RolloutView): Line {
	return line(s(rollout.status.message, rollout.status.done ? 'ok' : 'plain'));
}

/** The nodes the rollout still waits on, with kubectl's reasons; at most five, then a count. */
export function rolloutPendingLines(rollout: RolloutView): Line[] {
	const p = rollout.progress;
	if (rollout.status.done || p.pendingTotal === 0) return [];
	const lines: Line[] = [line(s(`waiting on ${p.pendingTotal} node(s):`, 'dim'))];
	for (const pending of p.pending.slice(0, 5)) lines.push(line(s(`    ${pending.node}  ${pending.pod ?? ''}  ${pending.reason}`, 'dim')));
	if (p.pendingTotal > 5) lines.push(line(s(`    … and ${p.pendingTotal - 5} more`, 'dim')));
	return lines;
}

export function rolloutLines(rollout: RolloutView | undefined): Line[] {
	if (!rollout) return [];
	return [rolloutHeadline(rollout), rolloutStatusLine(rollout), ...rolloutPendingLines(rollout)];
}

/** One line per node for small clusters: its glyph, its name, and why it is not done yet. */
export function rolloutNodeLines(rollout: RolloutView): Line[] {
	const p = rollout.progress;
	const reasons = new Map(p.pending.map(pending => [pending.node, pending]));
	return p.cells.map((cell, index) => {
		const node = p.nodes[index] ?? `node ${index + 1}`;
		const pending = reasons.get(node);
		const why = cell === 'done' ? 'updated and ready' : pending ? `${pending.pod ?? ''}  ${pending.reason}`.trim() : cell === 'new' ? 'new, not ready' : 'old pod, not yet replaced';
		return line(s(`${rolloutGlyphs[cell]} `, cell === 'done' ? 'ok' : cell === 'new' ? 'warn' : 'dim'), node, s(`  ${why}`, 'dim'));
	});
}

export function verifyLines(verification: Verification | undefined, found: Found | undefined): Line[] {
	if (!verification || !found) return [];
	return [
		...accessLines(verification.access, found.identity.user),
		...logLines(verification.logs, "new pods' logs"),
		line(s(verification.passed ? `${marks.ok} verified` : `${marks.bad} not verified`, verification.passed ? 'ok' : 'bad')),
	];
}

/** How to revert a patch the doctor applied. */
export function undoHint(role: string, context?: string): string {
	return `kubectl multus undo${context ? ` --context ${context}` : ''}   (restores the previous rules of ClusterRole ${role}, recorded in its kubectl-multus.dev/previous-rules annotation)`;
}

export function summaryLines(state: DoctorState): Line[] {
	const lines: Line[] = [];
	if (state.patch && !state.patch.dryRun) {
		lines.push(line(s('Changed:', 'bold')));
		for (const rule of state.plan?.patch.missing ?? []) lines.push(line(s(`  ${marks.add} ClusterRole ${state.patch.role}: ${describeRule(rule)}`, 'add')));
		if (state.restart) lines.push(line(`  restarted DaemonSet ${state.found?.daemonSet.namespace}/${state.found?.daemonSet.name} at ${state.restart.restartedAt}`));
		lines.push(line(s(`Undo: ${state.verification?.undo ?? undoHint(state.patch.role)}`, 'dim')));
	}
	for (const note of state.notes) lines.push(noteLine(note));
	if (state.failure?.hint) lines.push(line(s(`fix: ${state.failure.hint}`, 'warn')));
	return lines;
}

/** summaryLines without what the outcome message already says (a cancel's cluster state, a failure's fix). */
export function summaryLinesBesides(state: DoctorState, outcome: {message: string}): Line[] {
	const failure = state.failure?.hint && outcome.message.includes(state.failure.hint) ? {...state.failure, hint: undefined} : state.failure;
	return summaryLines({...state, notes: state.notes.filter(note => !outcome.message.includes(note)), failure});
}
