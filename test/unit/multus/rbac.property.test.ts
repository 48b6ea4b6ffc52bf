import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1ClusterRole, V1PolicyRule} from '@kubernetes/client-node';
import fc from 'fast-check';
import {
	applyPlan,
	breakdownRule,
	missingRules,
	planRolePatch,
	ruleCovers,
	rulesCover,
	type RolePatchPlan,
} from '../../../source/multus/rbac.js';
import {
	extendableCaseArb,
	neededRulesArb,
	policyRuleArb,
	requestAtomArb,
	roleAndNeedArb,
} from '../../helpers/rbac-arbitraries.js';
import {applyJsonPatch, child, jsonEqual, PatchFailed, type Json} from '../../helpers/json-patch.js';

const runs = {numRuns: 400};

function roleDocument(resourceVersion: string, rules: V1PolicyRule[] | undefined): Json {
	return structuredClone({metadata: {resourceVersion}, ...(rules ? {rules} : {})}) as unknown as Json;
}

function rulesOf(document: Json): Json | undefined {
	return child(document, 'rules');
}

// ---- generated cases

const caseArb = roleAndNeedArb();

function plan(role: V1ClusterRole, needed: V1PolicyRule[]): RolePatchPlan {
	return planRolePatch(role.rules, needed, role.metadata?.resourceVersion);
}

const atomKey = (atom: V1PolicyRule) =>
	JSON.stringify([atom.apiGroups, atom.resources, atom.resourceNames, atom.nonResourceURLs, atom.verbs].map(v => v ?? null));

describe('planRolePatch properties', () => {
	test('(a) never removes a grant: every original rule stays, in order, changed at most by appended verbs', () => {
		fc.assert(
			fc.property(caseArb, ({role, needed}) => {
				const before = structuredClone(role.rules ?? []);
				const result = plan(role, needed);
				assert.ok(result.after.length >= before.length);
				before.forEach((rule, index) => {
					const addition = result.additions.find(a => a.kind === 'append-verbs' && a.ruleIndex === index);
					const expected =
						addition?.kind === 'append-verbs' ? {...rule, verbs: [...rule.verbs, ...addition.verbs]} : rule;
					assert.deepEqual(result.after[index], expected);
				});
				for (const rule of before) assert.ok(rulesCover(result.after, rule));
				assert.deepEqual(role.rules ?? [], before, 'the input was mutated');
			}),
			runs,
		);
	});

	test('(b) never adds beyond need: every atom of after is granted before or is a needed atom', () => {
		fc.assert(
			fc.property(caseArb, ({role, needed}) => {
				const before = role.rules ?? [];
				const neededAtoms = new Set(needed.flatMap(rule => breakdownRule(rule)).map(atomKey));
				for (const atom of plan(role, needed).after.flatMap(rule => breakdownRule(rule))) {
					assert.ok(rulesCover(before, atom) || neededAtoms.has(atomKey(atom)), JSON.stringify(atom));
				}
			}),
			runs,
		);
	});

	test('(c) after covers every needed rule, and missing is exactly what before lacked', () => {
		fc.assert(
			fc.property(caseArb, ({role, needed}) => {
				const result = plan(role, needed);
				for (const rule of needed) assert.ok(rulesCover(result.after, rule), JSON.stringify(rule));
				for (const rule of result.missing) {
					for (const atom of breakdownRule(rule)) assert.equal(rulesCover(result.before, atom), false);
				}
				assert.equal(result.empty, result.missing.length === 0);
				assert.equal(result.empty, result.jsonPatch.length === 0);
			}),
			runs,
		);
	});

	test('(d) idempotent: a second plan on after is empty', () => {
		fc.assert(
			fc.property(caseArb, ({role, needed}) => {
				const result = plan(role, needed);
				const again = planRolePatch(result.after, needed, '1');
				assert.equal(again.empty, true);
				assert.deepEqual(again.jsonPatch, []);
				assert.deepEqual(missingRules(result.after, needed), []);
			}),
			runs,
		);
	});

	test('(e) the JSON patch applied to the role yields after, and applyPlan agrees', () => {
		fc.assert(
			fc.property(caseArb, ({role, needed}) => {
				const resourceVersion = role.metadata?.resourceVersion ?? '1';
				const result = plan(role, needed);
				const patched = applyJsonPatch(roleDocument(resourceVersion, role.rules), result.jsonPatch);
				const expected = result.empty && !role.rules ? undefined : (result.after as unknown as Json);
				assert.ok(jsonEqual(rulesOf(patched), expected), JSON.stringify({patched, after: result.after}));
				assert.deepEqual(applyPlan(role.rules, result), result.after);
			}),
			runs,
		);
	});

	test('(f) the patch fails if the role changed after the plan was made', () => {
		fc.assert(
			fc.property(caseArb, fc.integer({min: 1, max: 1000}), ({role, needed}, bump) => {
				const resourceVersion = role.metadata?.resourceVersion ?? '1';
				const result = plan(role, needed);
				fc.pre(!result.empty);
				const changed = String(Number(resourceVersion) + bump);
				assert.throws(() => applyJsonPatch(roleDocument(changed, role.rules), result.jsonPatch), PatchFailed);
			}),
			runs,
		);
	});

	test('(f) without a resourceVersion, the rule test still catches an edit of the rule being extended', () => {
		fc.assert(
			fc.property(extendableCaseArb(), ({role, needed}) => {
				const result = planRolePatch(role.rules, needed);
				const target = result.additions.find(a => a.kind === 'append-verbs');
				fc.pre(target?.kind === 'append-verbs' && role.rules !== undefined);
				if (target?.kind !== 'append-verbs' || !role.rules) return;
				const edited = structuredClone(role.rules);
				edited[target.ruleIndex]!.verbs.push('escalate');
				assert.throws(() => applyJsonPatch(roleDocument('1', edited), result.jsonPatch), PatchFailed);
			}),
			runs,
		);
	});

	test('(f) a role that had no rules: the patch fails once rules appeared', () => {
		fc.assert(
			fc.property(neededRulesArb(), fc.array(policyRuleArb(), {minLength: 1, maxLength: 3}), (needed, appeared) => {
				const result = planRolePatch(undefined, needed);
				fc.pre(!result.empty);
				assert.throws(() => applyJsonPatch(roleDocument('1', appeared), result.jsonPatch), PatchFailed);
			}),
			{numRuns: 100},
		);
	});
});

describe('covers properties', () => {
	test('every rule covers its own breakdown, and rulesCover agrees with covering atom by atom', () => {
		fc.assert(
			fc.property(policyRuleArb(), fc.array(policyRuleArb(), {maxLength: 4}), (rule, owners) => {
				assert.ok(ruleCovers(rule, rule));
				const atoms = breakdownRule(rule);
				assert.equal(
					rulesCover(owners, rule),
					atoms.every(atom => owners.some(owner => ruleCovers(owner, atom))),
				);
			}),
			runs,
		);
	});

	test('a single concrete request: covered by a rule set iff some rule covers it', () => {
		fc.assert(
			fc.property(requestAtomArb(), fc.array(policyRuleArb({valid: true}), {maxLength: 4}), (atom, owners) => {
				assert.equal(rulesCover(owners, atom), owners.some(owner => ruleCovers(owner, atom)));
				assert.equal(missingRules(owners, [atom]).length === 0, rulesCover(owners, atom));
			}),
			runs,
		);
	});
});
