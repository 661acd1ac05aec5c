// The people registry page: lists, adds and deletes people through the API the gateway
// serves at /api (same origin, so no CORS and no configuration).
'use strict';

const API = '/api/people';
const statusLine = document.getElementById('status');
const rows = document.getElementById('people');
const form = document.getElementById('add');

function show(message, isError) {
  statusLine.textContent = message;
  statusLine.className = isError ? 'error' : '';
}

// The API's error body names each bad field: {"error": {"message", "fields"}}.
async function describeError(response) {
  try {
    const body = await response.json();
    const fields = Object.entries(body.error.fields || {}).map(([k, v]) => `${k} ${v}`);
    return [body.error.message, ...fields].join('; ');
  } catch (e) {
    return `HTTP ${response.status}`;
  }
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text || '';
  return td;
}

async function load() {
  const response = await fetch(`${API}?limit=100`);
  if (!response.ok) {
    show(`Could not load people: ${await describeError(response)}`, true);
    return;
  }
  const page = await response.json();
  rows.replaceChildren(...page.items.map((person) => {
    const tr = document.createElement('tr');
    tr.append(cell(`${person.first_name} ${person.last_name}`), cell(person.email),
              cell(person.date_of_birth), cell(person.address));
    const remove = document.createElement('button');
    remove.textContent = 'Delete';
    remove.addEventListener('click', () => removePerson(person));
    const actions = document.createElement('td');
    actions.append(remove);
    tr.append(actions);
    return tr;
  }));
  show(page.total === 1 ? '1 person' : `${page.total} people`, false);
}

async function removePerson(person) {
  const response = await fetch(`${API}/${person.id}`, { method: 'DELETE' });
  if (!response.ok) show(`Could not delete: ${await describeError(response)}`, true);
  await load();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const person = {};
  for (const [key, value] of new FormData(form)) {
    if (value !== '') person[key] = value;
  }
  const response = await fetch(API, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(person),
  });
  if (!response.ok) {
    show(`Could not add: ${await describeError(response)}`, true);
    return;
  }
  form.reset();
  await load();
});

load().catch((error) => show(`Could not reach the API: ${error}`, true));
