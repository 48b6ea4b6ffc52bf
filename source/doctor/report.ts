import {describeRule} from '../multus/rbac.js';
import {versionInfo} from '../version.js';
import type {DoctorState} from './machine.js';
import {raisedFindings} from './raised.js';

/**
 * The machine-readable report (-o json|yaml): findings, planned and applied changes, and the verdict. A stable
 * shape: fields are added, never renamed. `reportVersion` changes if that promise is ever broken. `code` is the
 * outcome's finding code (null when it is none: healthy, fixed, declined ...); `codes` every finding the run
 * raised, by code (source/multus/findings.ts, docs/findings.md).
 */
export function doctorReport(state: DoctorState) {
	const found = state.found;
	const diagnosis = state.diagnosis;
	const plan = state.plan;
	return {
		reportVersion: 1,
		tool: versionInfo(),
		verdict: state.outcome?.verdict ?? 'failed',
		exitCode: state.outcome?.exitCode,
		message: state.outcome?.message,
		code: state.outcome?.code ?? null,
		codes: raisedFindings(state),
		steps: state.steps,
		connection: state.connection ?? null,
		multus: found
			? {
					namespace: found.daemonSet.namespace,
					daemonSet: found.daemonSet.name,
					mode: found.daemonSet.mode,
					image: found.daemonSet.image,
					version: found.daemonSet.version ?? null,
					serviceAccount: `${found.daemonSet.namespace}:${found.daemonSet.serviceAccount}`,
					user: found.identity.user,
					groups: found.identity.groups,
					perNodeCertificates: found.daemonSet.perNodeCertificates,
					managedBy: found.daemonSetOwner ?? null,
					pods: {desired: found.desired, ready: found.ready},
					clusterRoles: found.roles.map(role => ({
						name: role.name,
						bindings: role.grants.map(g => ({binding: g.binding, via: g.via})),
						managedBy: role.owner ?? null,
						autoupdateDisabled: role.autoupdateDisabled,
						rules: role.rules.map(describeRule),
					})),
					warnings: found.lookalikeBindings,
				}
			: null,
		findings: diagnosis
			? {
					// Every declared check by its stable id: blocks, status (pass, fail, unknown) and what it found.
					checks: diagnosis.checks,
					logs: diagnosis.logs,
					accessReview: {
						list: diagnosis.access.list.allowed,
						watch: diagnosis.access.watch.allowed,
					},
					rules: {
						missing: diagnosis.rules.missing,
						missingText: diagnosis.rules.missing.map(describeRule),
						advisoryMissing: diagnosis.rules.advisoryMissing.map(describeRule),
						requirements: diagnosis.rules.requirements.map(r => ({rule: describeRule(r.rule), level: r.level, covered: r.covered, why: r.why})),
					},
					summary: diagnosis.summary,
				}
			: null,
		plan: plan
			? {
					clusterRole: plan.role,
					resourceVersion: plan.resourceVersion ?? null,
					add: plan.patch.missing,
					addText: plan.patch.missing.map(describeRule),
					rulesBefore: plan.patch.before,
					rulesAfter: plan.patch.after,
					jsonPatch: plan.operations,
					reconcileYaml: plan.reconcileYaml,
					aggregate: plan.aggregate ?? null,
					managedBy: plan.owner ?? null,
					blocked: plan.blocked ?? null,
					permissions: plan.permissions.map(p => ({permission: p.description, allowed: p.allowed, required: !p.optional, grant: p.grant})),
					serverDryRun: plan.serverDryRun,
					gains: plan.gains,
					dedicated: plan.dedicated
						? {
								sharedRole: plan.dedicated.sharedRole,
								othersBound: plan.dedicated.othersBound,
								clusterRoleBinding: plan.dedicated.clusterRoleBinding.metadata?.name ?? '',
								subjects: plan.dedicated.clusterRoleBinding.subjects ?? [],
								// Left by an earlier run exactly as planned: kept, not created (the other one is).
								existing: plan.dedicated.existing,
							}
						: null,
				}
			: null,
		applied: {
			clusterRole: state.patch
				? {name: state.patch.role, resourceVersion: state.patch.resourceVersion ?? null, added: plan?.patch.missing.map(describeRule) ?? [], rulesAfter: state.patch.rulesAfter, created: state.patch.createdBinding !== undefined && !state.patch.keptRole}
				: state.createdRole
					// A dedicated role created without its binding (refused, or in doubt): it is in the cluster all the same.
					? {name: state.createdRole.role, resourceVersion: null, added: state.createdRole.rules.map(describeRule), rulesAfter: state.createdRole.rules, created: !state.createdRole.existed}
					: null,
			clusterRoleBinding: state.patch?.createdBinding ? {name: state.patch.createdBinding, created: !state.patch.keptBinding} : null,
			restart: state.restart ?? null,
			rollout: state.rollout
				? {
						message: state.rollout.status.message,
						done: state.rollout.status.done,
						desired: state.rollout.progress.desired,
						updated: state.rollout.progress.updated,
						available: state.rollout.progress.available,
						seconds: ((state.rollout.finishedAt ?? Date.now()) - state.rollout.startedAt) / 1000,
						finishedAt: state.rollout.finishedAt ? new Date(state.rollout.finishedAt).toISOString() : null,
						watchResumed: state.rollout.reconnects,
					}
				: null,
		},
		verification: state.verification
			? {
					passed: state.verification.passed,
					// Every access review asked again after the fix, as findings.checks carries them.
					checks: state.verification.checks,
					accessReview: {list: state.verification.access.list.allowed, watch: state.verification.access.watch.allowed},
					logs: state.verification.logs,
					proof: state.verification.proof,
					undo: state.verification.undo,
				}
			: null,
		notes: state.notes,
		error: state.failure ?? null,
	};
}
