#!/usr/bin/env node
// A helpdesk integration talking to Triggerfish over gRPC, in Node.js.
//
//   npm ci && node scenario.js HOST:PORT
//
// The same scenario as ../python/scenario.py:
//  1. checks the server's health (grpc.health.v1) and that the ticket.* and
//     assign.* actions are loaded (PluginService);
//  2. syncs its agents (AgentService.UpsertAgent);
//  3. installs its rules (RuleService.CreateRule) and sees a broken rule
//     rejected: INVALID_ARGUMENT whose `grpc-status-details-bin` trailer is a
//     google.rpc.Status carrying a google.rpc.BadRequest with every offending
//     field path;
//  4. publishes a new ticket (EventService.PublishEvent);
//  5. publishes a batch over one stream (EventService.PublishEvents): two new
//     tickets, a malformed event that fails alone, and a retry of an event
//     already published (answered as a duplicate);
//  6. reads what the engine holds: the ticket snapshot (TicketService), the
//     action executions (ExecutionService), the agents' open tickets;
//  7. tries draft rules with EventService.EvaluateEvent (nothing is stored)
//     and prints why one did not fire, predicate by predicate;
//  8. deletes its rules again.
//
// It asserts what it expects at every step and exits 1 with a message naming
// the failed expectation otherwise. The tenant must have no rules but these
// (a server started without --seed-rules); tickets and events get a fresh
// suffix per run, so it can be run again against the same server.
//
// The protos are loaded at run time from the repository's protos/ with
// @grpc/proto-loader (google/protobuf's well-known types come with it);
// google.rpc.Status and BadRequest details are decoded with protobufjs, the
// library proto-loader is built on.
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTOS = process.env.TRIGGERFISH_PROTOS || path.resolve(__dirname, '../../../protos');
const RULE_IDS = ['vip-email', 'outage-urgent', 'default-triage'];

class ScenarioFailure extends Error {}

function expect(condition, message) {
  if (!condition) throw new ScenarioFailure(message);
}

// ---- loading the API -----------------------------------------------------

function loadApi() {
  const definition = protoLoader.loadSync(
    [
      'triggerfish/v1/rule_service.proto',
      'triggerfish/v1/event_service.proto',
      'triggerfish/v1/ticket_service.proto',
      'triggerfish/v1/execution_service.proto',
      'triggerfish/v1/agent_service.proto',
      'triggerfish/v1/plugin_service.proto',
      'grpc/health/v1/health.proto',
    ],
    {
      includeDirs: [PROTOS],
      keepCase: true, // field names as in the protos: rule_id, event_types, ...
      longs: String,
      enums: String, // 'TICKET_PRIORITY_HIGH'
      defaults: false, // unset fields stay undefined: proto3 `optional` presence is visible
      arrays: true, // ... but repeated fields are always arrays
      objects: true,
      oneofs: true, // a virtual field names the member that is set (e.g. `outcome`)
    });
  const api = grpc.loadPackageDefinition(definition);

  // For the error details: google.rpc.Status and the detail messages.
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => path.join(PROTOS, target);
  root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
  return {
    v1: api.triggerfish.v1,
    health: api.grpc.health.v1,
    Status: root.lookupType('google.rpc.Status'),
    BadRequest: root.lookupType('google.rpc.BadRequest'),
    ErrorInfo: root.lookupType('google.rpc.ErrorInfo'),
  };
}

// ---- google.protobuf.Value / Struct / Timestamp ----------------------------
// proto-loader takes the well-known types from protobufjs's bundled
// definitions, whose field names are camelCase (stringValue, listValue) even
// with keepCase.

function toValue(v) {
  if (v === null) return {nullValue: 'NULL_VALUE'};
  if (Array.isArray(v)) return {listValue: {values: v.map(toValue)}};
  switch (typeof v) {
    case 'string': return {stringValue: v};
    case 'number': return {numberValue: v};
    case 'boolean': return {boolValue: v};
    case 'object': return {structValue: toStruct(v)};
    default: throw new Error(`cannot encode ${typeof v} as google.protobuf.Value`);
  }
}

function toStruct(o) {
  return {fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toValue(v)]))};
}

function fromValue(v) {
  if (!v || !v.kind) return undefined;
  switch (v.kind) {
    case 'nullValue': return null;
    case 'listValue': return (v.listValue.values || []).map(fromValue);
    case 'structValue': return fromStruct(v.structValue);
    default: return v[v.kind];
  }
}

function fromStruct(s) {
  return Object.fromEntries(Object.entries((s && s.fields) || {}).map(([k, v]) => [k, fromValue(v)]));
}

function now() {
  const ms = Date.now();
  return {seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6};
}

function timestampString(t) {
  return t ? new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos || 0) / 1e6)).toISOString() : '-';
}

// A rule written as plain JSON (as in a rules file) to the message form:
// predicate values and action params become google.protobuf.Value / Struct.
function ruleMessage(rule) {
  const condition = (c) => {
    if (!c) return undefined;
    const out = {};
    if (c.all) out.all = c.all.map(condition);
    if (c.any) out.any = c.any.map(condition);
    if (c.not) out.not = condition(c.not);
    if (c.predicate) {
      const {value, ...rest} = c.predicate;
      out.predicate = value === undefined ? rest : {...rest, value: toValue(value)};
    }
    return out;
  };
  return {
    ...rule,
    condition: condition(rule.condition),
    actions: (rule.actions || []).map((a) => ({type: a.type, params: toStruct(a.params || {})})),
  };
}

// ---- the scenario ----------------------------------------------------------

class Scenario {
  constructor(address) {
    this.api = loadApi();
    this.address = address;
    const v1 = this.api.v1;
    const credentials = grpc.credentials.createInsecure();
    this.health = new this.api.health.Health(address, credentials);
    // One channel for all services: the other clients share the first one's.
    const options = {channelOverride: this.health.getChannel()};
    this.plugins = new v1.PluginService(address, credentials, options);
    this.agents = new v1.AgentService(address, credentials, options);
    this.rules = new v1.RuleService(address, credentials, options);
    this.events = new v1.EventService(address, credentials, options);
    this.tickets = new v1.TicketService(address, credentials, options);
    this.executions = new v1.ExecutionService(address, credentials, options);
    this.suffix = (Date.now() % 36 ** 6).toString(16);
    this.stepNumber = 0;
  }

  // Unary call as a promise, with a 10 s deadline.
  call(client, method, request) {
    return new Promise((resolve, reject) => {
      client[method](request, {deadline: Date.now() + 10000}, (error, response) =>
        error ? reject(error) : resolve(response));
    });
  }

  // Calls and expects the call to fail with `code`; returns the error.
  async callExpectingCode(client, method, request, code) {
    try {
      await this.call(client, method, request);
    } catch (error) {
      expect(error.code === code,
             `${method}: expected ${grpc.status[code]}, got ${grpc.status[error.code]}: ${error.details}`);
      return error;
    }
    throw new ScenarioFailure(`${method}: expected ${grpc.status[code]}, but the call succeeded`);
  }

  // Same, and decodes the error's google.rpc.Status from its trailer.
  async callExpectingError(client, method, request, code) {
    const error = await this.callExpectingCode(client, method, request, code);
    const trailer = error.metadata.get('grpc-status-details-bin');
    expect(trailer.length === 1, `${grpc.status[code]} without a grpc-status-details-bin trailer`);
    return this.decodeStatus(trailer[0]);
  }

  // grpc-status-details-bin: a serialized google.rpc.Status, whose details
  // are google.protobuf.Any (BadRequest, ErrorInfo, ...).
  decodeStatus(bytes) {
    const status = this.api.Status.toObject(this.api.Status.decode(bytes), {defaults: true});
    return {status, ...this.detailsOf(status)};
  }

  // Details of a google.rpc.Status, either decoded above or received as a
  // message field (PublishEventsResponse.error, loaded by proto-loader).
  detailsOf(status) {
    const violations = [];
    const reasons = [];
    for (const any of status.details || []) {
      const typeUrl = any.type_url || any.typeUrl || '';
      const type = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
      if (type === 'google.rpc.BadRequest') {
        const bad = this.api.BadRequest.toObject(this.api.BadRequest.decode(any.value));
        for (const v of bad.fieldViolations || []) violations.push([v.field, v.description]);
      } else if (type === 'google.rpc.ErrorInfo') {
        const info = this.api.ErrorInfo.toObject(this.api.ErrorInfo.decode(any.value));
        reasons.push(`${info.domain}/${info.reason}`);
      }
    }
    return {violations, reasons};
  }

  step(title) {
    this.stepNumber += 1;
    console.log(`\n== ${this.stepNumber}. ${title}`);
  }

  tid(n) { return `T-${n}-${this.suffix}`; }
  eid(name) { return `${name}-${this.suffix}`; }

  ticket(number, fields) {
    return {id: this.tid(number), status: 'TICKET_STATUS_NEW', created_at: now(), ...fields};
  }

  event(name, ticket, type = 'ticket.created') {
    return {id: this.eid(name), type, ticket, actor: 'helpdesk-sync', occurred_at: now()};
  }

  static fired(response) {
    return response.fired_rules.map((f) => f.rule_id);
  }

  static describePatch(patch) {
    if (!patch) return '(no change)';
    const parts = [];
    for (const field of ['subject', 'type', 'assignee_id', 'group_id', 'status', 'priority']) {
      if (patch[field] !== undefined) parts.push(`${field}=${patch[field]}`);
    }
    if (patch.add_tags.length) parts.push(`add_tags=${JSON.stringify(patch.add_tags)}`);
    if (patch.remove_tags.length) parts.push(`remove_tags=${JSON.stringify(patch.remove_tags)}`);
    for (const [key, value] of Object.entries(patch.custom_fields || {}).sort()) {
      parts.push(`custom_fields.${key}=${JSON.stringify(fromValue(value))}`);
    }
    return parts.join(', ') || '(no change)';
  }

  async run() {
    console.log(`Triggerfish client scenario (Node.js ${process.version}, @grpc/grpc-js ` +
                `${require('@grpc/grpc-js/package.json').version}) against ${this.address}, ` +
                `run ${this.suffix}`);
    try {
      await this.checkServer();
      await this.syncAgents();
      await this.installRules();
      await this.rejectBrokenRule();
      await this.publishOne();
      await this.publishStream();
      await this.readBack();
      await this.tryDraftRule();
      await this.cleanUp();
    } finally {
      this.health.close();
    }
  }

  async checkServer() {
    this.step('Server health and loaded actions');
    await new Promise((resolve, reject) => this.health.waitForReady(Date.now() + 15000, (error) =>
      error ? reject(new ScenarioFailure(`cannot connect to ${this.address}: ${error.message}`))
            : resolve()));
    const health = await this.call(this.health, 'Check', {});
    console.log(`health: ${health.status}`);
    expect(health.status === 'SERVING', 'server is not SERVING');

    const {actions} = await this.call(this.plugins, 'ListActions', {});
    const types = Object.fromEntries(actions.map((a) => [a.type, a]));
    for (const wanted of ['ticket.add_tags', 'ticket.set_fields', 'ticket.set_custom_field',
                          'assign.round_robin']) {
      expect(types[wanted], `action ${wanted} is not loaded (loaded: ${Object.keys(types)})`);
    }
    console.log(`${actions.length} actions loaded, among them:`);
    for (const wanted of ['ticket.add_tags', 'ticket.set_fields', 'assign.round_robin']) {
      console.log(`  ${wanted.padEnd(22)} ${types[wanted].description}`);
    }

    const existing = await this.call(this.rules, 'ListRules', {page_size: 1000});
    const foreign = existing.rules.map((r) => r.id).filter((id) => !RULE_IDS.includes(id));
    expect(foreign.length === 0, 'the scenario needs a tenant without other rules (they would ' +
           `fire on its events too); this server has ${foreign.slice(0, 5)}: start one without ` +
           '--seed-rules');
    for (const leftover of existing.rules) { // from an interrupted earlier run
      await this.call(this.rules, 'DeleteRule', {id: leftover.id});
      console.log(`deleted rule ${leftover.id} left over from an earlier run`);
    }
  }

  async syncAgents() {
    this.step('Sync agents (AgentService.UpsertAgent)');
    const directory = [
      {id: 'alice', name: 'Alice Martin', email: 'alice@example.com', groups: ['tier1'],
       skills: ['billing'], available: true},
      {id: 'bob', name: 'Bob Chen', email: 'bob@example.com', groups: ['tier1'],
       skills: ['networking'], available: true, max_open_tickets: 50},
      {id: 'carol', name: 'Carol Diaz', email: 'carol@example.com', groups: ['vip-desk', 'tier1'],
       available: true},
      {id: 'dave', name: 'Dave Okafor', email: 'dave@example.com', groups: ['vip-desk'],
       available: false}, // on leave
    ];
    for (const agent of directory) {
      const stored = await this.call(this.agents, 'UpsertAgent', {agent});
      expect(stored.id === agent.id &&
             JSON.stringify(stored.groups) === JSON.stringify(agent.groups),
             `UpsertAgent returned ${JSON.stringify(stored)}`);
      console.log(`upserted ${stored.id.padEnd(6)} groups=${JSON.stringify(stored.groups)} ` +
                  `available=${Boolean(stored.available)} etag=${stored.etag}`);
    }
    const listed = await this.call(this.agents, 'ListAgents', {group: 'vip-desk'});
    const ids = listed.agents.map((a) => a.id);
    expect(JSON.stringify(ids) === '["carol","dave"]', `agents of vip-desk: ${ids}`);
    console.log(`group vip-desk: ${JSON.stringify(ids)}`);
    // carol is also in tier1, where default-triage assigns by round robin;
    // keep tier1 to alice and bob so the assignments below are predictable.
    await this.call(this.agents, 'UpsertAgent', {agent: {...directory[2], groups: ['vip-desk']}});
    console.log('upserted carol again with groups=["vip-desk"] (an agent changed teams)');
  }

  async installRules() {
    this.step('Install rules (RuleService.CreateRule)');
    const rules = {
      'vip-email': {
        name: 'VIP requests by email',
        position: 10,
        trigger: {event_types: ['ticket.created']},
        condition: {all: [
          {predicate: {field: 'ticket.channel', operator: 'is', value: 'email'}},
          {predicate: {field: 'ticket.custom_fields.plan', operator: 'in',
                       value: ['enterprise', 'gold']}},
          {not: {predicate: {field: 'ticket.tags', operator: 'includes_any', value: ['spam']}}},
        ]},
        actions: [
          {type: 'ticket.add_tags', params: {tags: ['vip']}},
          {type: 'ticket.set_fields', params: {priority: 'high'}},
          {type: 'assign.round_robin', params: {group: 'vip-desk'}},
        ],
      },
      'outage-urgent': {
        name: 'Outages are urgent',
        position: 20,
        trigger: {event_types: ['ticket.created', 'ticket.updated']},
        condition: {any: [
          {predicate: {field: 'ticket.subject', operator: 'matches',
                       value: '(?i)\\b(down|outage)\\b'}},
          {predicate: {field: 'ticket.type', operator: 'is', value: 'incident'}},
        ]},
        actions: [
          {type: 'ticket.set_fields', params: {priority: 'urgent', type: 'incident'}},
          {type: 'ticket.add_tags', params: {tags: ['outage']}},
        ],
      },
      'default-triage': {
        name: 'Triage everything else to tier 1',
        position: 100,
        trigger: {event_types: ['ticket.created']},
        condition: {predicate: {field: 'ticket.assignee_id', operator: 'absent'}},
        actions: [
          {type: 'assign.round_robin', params: {group: 'tier1', fallback_tag: 'unassigned'}},
          {type: 'ticket.set_custom_field', params: {key: 'triaged_by', value: 'triggerfish'}},
        ],
      },
    };
    for (const [ruleId, body] of Object.entries(rules)) {
      const created = await this.call(this.rules, 'CreateRule', {
        rule: ruleMessage(body), rule_id: ruleId, request_id: `create-${ruleId}-${this.suffix}`,
      });
      expect(created.id === ruleId && created.enabled === true && Number(created.revision) >= 1,
             `CreateRule(${ruleId}) returned ${JSON.stringify(created)}`);
      console.log(`created ${created.id.padEnd(15)} position=${String(created.position).padEnd(4)}` +
                  ` revision=${created.revision} actions=${JSON.stringify(created.actions.map((a) => a.type))}`);
    }
    const listed = await this.call(this.rules, 'ListRules', {event_type: 'ticket.created'});
    const order = listed.rules.map((r) => r.id);
    expect(JSON.stringify(order) === JSON.stringify(RULE_IDS), `ListRules order ${order}`);
    console.log(`evaluation order for ticket.created: ${JSON.stringify(order)} ` +
                `(total ${listed.total_size})`);
  }

  async rejectBrokenRule() {
    this.step('A broken rule is rejected with its field violations');
    const broken = ruleMessage({
      name: 'Broken: typo, wrong operator, bad params',
      trigger: {event_types: ['ticket.created']},
      condition: {all: [
        {predicate: {field: 'ticket.channel', operator: 'is', value: 'email'}},
        {predicate: {field: 'ticket.priorty', operator: 'is', value: 'high'}},
        {predicate: {field: 'ticket.tags', operator: 'starts_with', value: 'vip'}},
      ]},
      actions: [
        {type: 'ticket.add_tags', params: {tags: ['ok', 'two words']}},
        {type: 'assign.round_robin', params: {}},
      ],
    });
    const {status, violations, reasons} = await this.callExpectingError(
      this.rules, 'CreateRule', {rule: broken, rule_id: 'broken'}, grpc.status.INVALID_ARGUMENT);
    console.log(`INVALID_ARGUMENT: ${status.message}`);
    console.log(`google.rpc.BadRequest from grpc-status-details-bin, ${violations.length} violations:`);
    for (const [field, description] of violations) console.log(`  ${field}: ${description}`);
    if (reasons.length) console.log(`google.rpc.ErrorInfo: ${reasons}`);
    const fields = violations.map(([f]) => f);
    for (const wanted of ['rule.condition.all[1].predicate.field',
                          'rule.condition.all[2].predicate.operator',
                          'rule.actions[0].params.tags[1]']) {
      expect(fields.includes(wanted), `no violation for ${wanted} (got ${fields})`);
    }
    expect(fields.some((f) => f.startsWith('rule.actions[1].params')),
           `no violation for the missing group of rule.actions[1] (got ${fields})`);
    const typo = Object.fromEntries(violations)['rule.condition.all[1].predicate.field'];
    expect(typo.includes('ticket.priority'), `no "did you mean ticket.priority" in ${typo}`);
    await this.callExpectingCode(this.rules, 'GetRule', {id: 'broken'}, grpc.status.NOT_FOUND);
    console.log('GetRule(broken): NOT_FOUND, nothing was saved');
  }

  async publishOne() {
    this.step('Publish a new VIP ticket (EventService.PublishEvent)');
    const ticket = this.ticket(1001, {
      subject: 'Cannot export invoices', channel: 'email', priority: 'TICKET_PRIORITY_NORMAL',
      requester: {id: 'u-77', email: 'ceo@bigcorp.example', organization: 'BigCorp'},
      custom_fields: {plan: toValue('enterprise')},
    });
    const response = await this.call(this.events, 'PublishEvent',
                                      {event: this.event('created-1001', ticket)});
    this.vipEventId = response.event_id;
    console.log(`event ${response.event_id}: fired ${JSON.stringify(Scenario.fired(response))}, ` +
                `duplicate=${Boolean(response.duplicate)}, committed ${timestampString(response.commit_time)}`);
    for (const fired of response.fired_rules) {
      for (const action of fired.actions) {
        console.log(`  ${fired.rule_id} (pass ${fired.pass}) ${action.type} -> ${action.status}: ` +
                    Scenario.describePatch(action.ticket_patch));
      }
    }
    console.log(`ticket patch for the helpdesk: ${Scenario.describePatch(response.ticket_patch)}`);
    expect(JSON.stringify(Scenario.fired(response)) === '["vip-email"]',
           `fired ${Scenario.fired(response)}, expected only vip-email (default-triage must see ` +
           'the assignee and stay quiet)');
    const patch = response.ticket_patch;
    expect(JSON.stringify(patch.add_tags) === '["vip"]', `add_tags ${patch.add_tags}`);
    expect(patch.priority === 'TICKET_PRIORITY_HIGH', 'priority not set to high');
    expect(patch.assignee_id === 'carol' && patch.group_id === 'vip-desk',
           `assigned to ${patch.assignee_id}/${patch.group_id}, expected carol/vip-desk ` +
           '(dave is unavailable)');
    expect(!response.duplicate && response.snapshot_updated, 'duplicate or stale snapshot');
    expect(response.fired_rules.every((f) => f.actions.every((a) => a.status === 'ACTION_STATUS_SUCCEEDED')),
           'an action did not succeed');
  }

  publishEvents(events) {
    return new Promise((resolve, reject) => {
      const stream = this.events.PublishEvents({deadline: Date.now() + 30000});
      const answers = [];
      stream.on('data', (answer) => answers.push(answer));
      stream.on('error', reject);
      stream.on('end', () => resolve(answers));
      for (const event of events) stream.write({event});
      stream.end();
    });
  }

  async publishStream() {
    this.step('Publish a batch over one stream (EventService.PublishEvents)');
    const batch = [
      this.event('created-1002', this.ticket(1002, {subject: 'Checkout page is down', channel: 'web'})),
      this.event('created-1003', this.ticket(1003, {subject: 'How do I change my password?',
                                                    channel: 'chat'})),
      // Malformed: no ticket id. Fails alone; the stream goes on.
      {id: this.eid('broken'), type: 'ticket.created', ticket: {subject: 'lost its id'}},
      // The helpdesk retries an event it is not sure was delivered.
      this.event('created-1001', this.ticket(1001, {subject: 'Cannot export invoices',
                                                    channel: 'email'})),
    ];
    const answers = await this.publishEvents(batch);
    expect(answers.length === batch.length, `${answers.length} answers for ${batch.length} events`);
    expect(answers.every((a, i) => a.event_id === batch[i].id), 'answers out of order');
    for (const answer of answers) {
      if (answer.outcome === 'result') {
        const r = answer.result;
        console.log(`event ${answer.event_id}: fired ${JSON.stringify(Scenario.fired(r))}` +
                    `${r.duplicate ? ' (duplicate: stored response, nothing ran)' : ''}` +
                    `; patch ${Scenario.describePatch(r.ticket_patch)}`);
      } else {
        const {violations} = this.detailsOf(answer.error);
        console.log(`event ${answer.event_id}: error code ${answer.error.code}: ${answer.error.message}`);
        for (const [field, description] of violations) console.log(`  ${field}: ${description}`);
      }
    }
    const [down, question, bad, retry] = answers;
    expect(down.outcome === 'result' &&
           JSON.stringify(Scenario.fired(down.result)) === '["outage-urgent","default-triage"]',
           'T-1002 did not fire outage-urgent then default-triage');
    expect(down.result.ticket_patch.priority === 'TICKET_PRIORITY_URGENT', 'T-1002 not urgent');
    expect(question.outcome === 'result' &&
           JSON.stringify(Scenario.fired(question.result)) === '["default-triage"]',
           'T-1003 did not fire default-triage alone');
    const assignees = [down.result.ticket_patch.assignee_id,
                       question.result.ticket_patch.assignee_id].sort();
    expect(JSON.stringify(assignees) === '["alice","bob"]', `round robin over tier1 gave ${assignees}`);
    expect(bad.outcome === 'error' && bad.error.code === grpc.status.INVALID_ARGUMENT,
           'the malformed event did not fail with INVALID_ARGUMENT');
    const {violations} = this.detailsOf(bad.error);
    expect(violations.some(([f]) => f === 'event.ticket.id'),
           `no violation for event.ticket.id: ${JSON.stringify(violations)}`);
    expect(retry.outcome === 'result' && retry.result.duplicate &&
           JSON.stringify(Scenario.fired(retry.result)) === '["vip-email"]',
           'the retried event was not answered with the stored response');
    this.roundRobin = [this.tid(1002), this.tid(1003)];
  }

  async readBack() {
    this.step('Read back the ticket snapshot (TicketService.GetTicket)');
    let record = await this.call(this.tickets, 'GetTicket', {id: this.tid(1001)});
    let t = record.ticket;
    console.log(`${t.id}: status=${t.status} priority=${t.priority} tags=${JSON.stringify(t.tags)}` +
                ` assignee=${t.assignee_id} group=${t.group_id}`);
    console.log(`  last event ${record.last_event_id}, fired rules ${JSON.stringify(record.fired_rule_ids)}`);
    expect(JSON.stringify(record.fired_rule_ids) === '["vip-email"]',
           `fired_rule_ids ${record.fired_rule_ids}`);
    expect(record.last_event_id === this.vipEventId, `last_event_id ${record.last_event_id}`);
    expect(t.tags.includes('vip') && t.priority === 'TICKET_PRIORITY_HIGH' && t.assignee_id === 'carol',
           'the snapshot lacks the patch of vip-email');
    record = await this.call(this.tickets, 'GetTicket', {id: this.tid(1002)});
    t = record.ticket;
    const triagedBy = fromValue((t.custom_fields || {}).triaged_by);
    console.log(`${t.id}: tags=${JSON.stringify(t.tags)} type=${t.type} assignee=${t.assignee_id}` +
                ` custom_fields.triaged_by=${JSON.stringify(triagedBy)}`);
    expect(triagedBy === 'triggerfish', "default-triage's custom field is not in the snapshot");
    expect(t.type === 'incident' && t.tags.includes('outage'),
           "outage-urgent's patch is not in the snapshot");

    this.step('Read the executions (ExecutionService)');
    const listed = await this.call(this.executions, 'ListExecutions', {ticket_id: this.tid(1001)});
    for (const x of listed.executions) {
      console.log(`  ${x.id}: ${x.rule_id}[${x.action_index || 0}] ${x.action_type.padEnd(20)} ` +
                  `${x.mode} ${x.status} attempts=${x.attempts.length}`);
    }
    const got = listed.executions.map((x) => `${x.rule_id}[${x.action_index || 0}] ${x.action_type}`).sort();
    expect(JSON.stringify(got) === JSON.stringify([
      'vip-email[0] ticket.add_tags', 'vip-email[1] ticket.set_fields',
      'vip-email[2] assign.round_robin']),
           `executions of ${this.tid(1001)}: ${got} (the duplicate must not have run again)`);
    expect(listed.executions.every((x) => x.status === 'EXECUTION_STATUS_SUCCEEDED'),
           'an execution did not succeed');
    const assign = listed.executions.find((x) => x.action_type === 'assign.round_robin');
    const detail = await this.call(this.executions, 'GetExecution', {id: assign.id});
    const output = fromValue(detail.output) || {};
    console.log(`GetExecution(${assign.id}) output: assigned=${output.assigned} ` +
                `assignee=${output.assignee_id} considered=` +
                JSON.stringify((output.considered || []).map((c) => [c.id, c.reason || 'eligible'])));
    expect(output.assignee_id === 'carol', `assign output ${JSON.stringify(output)}`);
    const byRule = await this.call(this.executions, 'ListExecutions',
                                   {rule_id: 'default-triage', action_type: 'assign.round_robin'});
    const mine = [...new Set(byRule.executions.map((x) => x.ticket_id))]
      .filter((id) => this.roundRobin.includes(id)).sort();
    expect(JSON.stringify(mine) === JSON.stringify(this.roundRobin),
           `default-triage's assign executions cover ${mine}`);
    console.log(`default-triage assign.round_robin executions include ${JSON.stringify(mine)}`);

    this.step("Agents' open tickets (AgentService.GetAgent)");
    for (const id of ['carol', 'alice', 'bob', 'dave']) {
      const agent = await this.call(this.agents, 'GetAgent', {id});
      console.log(`  ${agent.id.padEnd(6)} open_tickets=${agent.open_tickets || 0} ` +
                  `available=${Boolean(agent.available)}`);
      if (id !== 'dave') expect((agent.open_tickets || 0) >= 1, `${id} holds no open ticket`);
    }
  }

  async tryDraftRule() {
    this.step('Try draft rules without saving them (EventService.EvaluateEvent)');
    const drafts = [
      {id: 'phone-urgent', name: 'Urgent calls go to the phone desk', position: 1,
       trigger: {event_types: ['ticket.created']},
       condition: {all: [
         {predicate: {field: 'ticket.channel', operator: 'is', value: 'phone'}},
         {predicate: {field: 'ticket.priority', operator: 'greater_than_or_equal', value: 'high'}},
         {predicate: {field: 'ticket.custom_fields.plan', operator: 'present'}},
       ]},
       actions: [{type: 'assign.round_robin', params: {group: 'phone-desk'}}]},
      {id: 'phone-tag', name: 'Tag phone tickets', position: 2,
       trigger: {event_types: ['ticket.created']},
       condition: {predicate: {field: 'ticket.channel', operator: 'is', value: 'phone'}},
       actions: [{type: 'ticket.add_tags', params: {tags: ['phone']}}]},
    ].map(ruleMessage);
    const event = this.event('draft-2001', this.ticket(2001, {
      subject: 'Please call me back', channel: 'phone', priority: 'TICKET_PRIORITY_NORMAL'}));
    const result = await this.call(this.events, 'EvaluateEvent',
                                   {event, rules: drafts, explain: 'EXPLAIN_LEVEL_FULL'});
    console.log(`would fire ${JSON.stringify(Scenario.fired(result))}; patch ` +
                `${Scenario.describePatch(result.ticket_patch)}; passes=${result.passes}`);
    for (const explanation of result.explanations) {
      console.log(`  ${explanation.rule_id}: ${explanation.outcome} -- ${explanation.summary}`);
      printCondition(explanation.condition, 4);
    }
    expect(JSON.stringify(Scenario.fired(result)) === '["phone-tag"]',
           `would fire ${Scenario.fired(result)}`);
    const urgent = result.explanations.find((x) => x.rule_id === 'phone-urgent');
    expect(urgent && urgent.outcome === 'RULE_OUTCOME_CONDITION_FALSE',
           'phone-urgent is not CONDITION_FALSE');
    const failed = failedPredicates(urgent.condition);
    console.log('why phone-urgent did not fire: ' + failed.map((p) =>
      `${p.field} ${p.operator}${p.expected ? ' ' + JSON.stringify(fromValue(p.expected)) : ''} ` +
      `is false (actual ${p.actual ? JSON.stringify(fromValue(p.actual)) : 'absent'}` +
      `${p.note ? ', ' + p.note : ''})`).join('; '));
    expect(JSON.stringify(failed.map((p) => p.field)) ===
           '["ticket.priority","ticket.custom_fields.plan"]',
           `failed predicates ${failed.map((p) => p.field)}`);
    await this.callExpectingCode(this.tickets, 'GetTicket', {id: this.tid(2001)},
                                 grpc.status.NOT_FOUND);
    console.log(`GetTicket(${this.tid(2001)}): NOT_FOUND -- the dry run stored nothing`);
  }

  async cleanUp() {
    this.step('Clean up (RuleService.DeleteRule with etag)');
    for (const id of RULE_IDS) {
      const rule = await this.call(this.rules, 'GetRule', {id});
      await this.call(this.rules, 'DeleteRule', {id, etag: rule.etag});
      console.log(`deleted ${id} (etag ${rule.etag})`);
    }
    const left = await this.call(this.rules, 'ListRules', {});
    expect(!left.total_size, `${left.total_size} rules left`);
  }
}

function printCondition(node, indent) {
  if (!node || !node.kind) return;
  const mark = node.result ? 'true ' : 'FALSE';
  if (node.kind === 'predicate') {
    const p = node.predicate;
    const actual = p.actual ? JSON.stringify(fromValue(p.actual)) : 'absent';
    const expected = p.expected ? ` ${JSON.stringify(fromValue(p.expected))}` : '';
    const note = p.note ? `  (${p.note})` : '';
    console.log(`${' '.repeat(indent)}${mark} ${node.path}: ${p.field} ${p.operator}${expected}; ` +
                `actual ${actual}${note}`);
  } else {
    console.log(`${' '.repeat(indent)}${mark} ${node.path}: ${node.kind}`);
  }
  for (const child of node.children) printCondition(child, indent + 2);
}

function failedPredicates(node) {
  if (node.kind === 'predicate') return node.result ? [] : [node.predicate];
  if (node.kind === 'not') return []; // a false `not` means its child held
  return node.children.flatMap(failedPredicates);
}

async function main() {
  const address = process.argv[2];
  if (!address || process.argv.length > 3) {
    console.error('usage: node scenario.js HOST:PORT');
    return 2;
  }
  try {
    await new Scenario(address).run();
  } catch (error) {
    if (error instanceof ScenarioFailure) {
      console.error(`\nFAILED: ${error.message}`);
    } else if (error.code !== undefined && error.details !== undefined) {
      console.error(`\nFAILED: unexpected gRPC error ${grpc.status[error.code]}: ${error.details}`);
    } else {
      console.error(`\nFAILED: ${error.stack}`);
    }
    return 1;
  }
  console.log('\nOK: every expectation of the scenario held');
  return 0;
}

main().then((code) => { process.exitCode = code; });
