// apache-arrow JS reads a file of a team's own schema written by tests/cli/own_schema_test.cpp
// (team.run@1 > team.base@1 > legolas-flux.model@1) and checks what the C++ test wrote: the schema
// metadata (the qualified identifier, and the declarations key as JSON naming the chain), every
// column's value and the weights. Prints "ok …" and exits 0, or says what differs and exits 1.
//   node tests/interop/own_schema.mjs FILE
import { readFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';

const table = tableFromIPC(readFileSync(process.argv[2]));
const fail = (what) => { console.log(`differs: ${what}`); process.exit(1); };
const same = (what, found, expected) => {
  if (JSON.stringify(found) !== JSON.stringify(expected))
    fail(`${what}: ${JSON.stringify(found)} instead of ${JSON.stringify(expected)}`);
};

const metadata = table.schema.metadata;
same('legolas_schema_qualified', metadata.get('legolas_schema_qualified'),
     'team.run@1>team.base@1>legolas-flux.model@1');
const declarations = JSON.parse(metadata.get('legolasflux.schema_declarations')).declarations;
same('declared versions', declarations.map((d) => d.schema_version),
     ['team.run@1', 'team.base@1', 'legolas-flux.model@1']);
same('team.run@1 fields', declarations[0].fields.map((f) => f.name), ['step', 'learning_rate', 'losses', 'optimizer']);

same('rows', table.numRows, 1);
const row = table.get(0);
same('architecture_version', Number(row.architecture_version), 3);
same('dataset', row.dataset, 'mnist');
same('seed', Number(row.seed), 42);
same('step', Number(row.step), 1200);
same('learning_rate', row.learning_rate, null);
same('losses', Array.from(row.losses), [0.5, 0.25]);
same('optimizer.name', row.optimizer.name, 'sgd');
same('optimizer.momentum', Math.fround(row.optimizer.momentum), Math.fround(0.9));
const arrays = row.weights.weights;
same('weights', arrays.length, 2);
same('first vec', Array.from(arrays.get(0).vec), [1, 2, 3, 4]);
same('first size', Array.from(arrays.get(0).size, Number), [2, 2]);
same('second vec', Array.from(arrays.get(1).vec), [5, 6]);
console.log(`ok: ${table.numRows} row, ${table.schema.fields.length} columns, ${declarations.length} declarations`);
