// The simulator page: device cards, a payment form and the live event log (server-sent events).
const devicesEl = document.getElementById("devices");
const eventsEl = document.getElementById("events");
const form = document.getElementById("pay");

async function refresh() {
  const state = await (await fetch("/api/state")).json();
  document.getElementById("broker").textContent = `broker ${state.broker}`;
  const select = form.elements.deviceId;
  if (select.options.length === 0)
    for (const d of state.devices) select.add(new Option(d.deviceId, d.deviceId));
  devicesEl.replaceChildren(...state.devices.map((d) => {
    const card = document.createElement("article");
    card.className = "device";
    card.dataset.device = d.deviceId;
    const c = d.counters ?? { received: 0, announced: 0, duplicates: 0, rejected: 0 };
    card.innerHTML = `<h2>${d.deviceId} <small>(${d.product})</small></h2>
      ${d.screen ? `<img class="screen" alt="${d.deviceId} screen" src="${d.screen}?t=${Date.now()}">` : ""}
      <p>session: <b class="state-${d.session}">${d.session}</b></p>
      <p>received ${c.received} · announced <b class="announced">${c.announced}</b> · duplicates ${c.duplicates} · rejected ${c.rejected}</p>
      <button data-action="${d.running ? "power-off" : "power-on"}">${d.running ? "Power off" : "Power on"}</button>
      <button data-action="cut-link" ${d.running ? "" : "disabled"}>Cut network</button>`;
    return card;
  }));
}

devicesEl.addEventListener("click", async (e) => {
  const action = e.target.dataset?.action;
  if (!action) return;
  const device = e.target.closest(".device").dataset.device;
  await fetch(`/api/device/${device}/${action}`, { method: "POST" });
  refresh();
});

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = Object.fromEntries(new FormData(form));
  const res = await fetch("/api/pay", { method: "POST", body: JSON.stringify(body) });
  const result = await res.json();
  document.getElementById("pay-result").textContent = res.ok ? `sent ${result.transactionId}` : result.error;
});

const source = new EventSource("/api/events");
source.onmessage = (message) => {
  const event = JSON.parse(message.data);
  if (event.level === "debug") return;
  const li = document.createElement("li");
  li.className = event.level;
  const fields = Object.entries(event.fields).map(([k, v]) => `${k}=${v}`).join(" ");
  li.textContent = `${new Date(event.at).toLocaleTimeString()} ${event.device} ${event.name} ${fields}`;
  eventsEl.prepend(li);
  if (event.name === "wav-written") new Audio(`/wav/${event.device}/${event.fields.txn}.wav`).play().catch(() => {});
  if (["announced", "rejected", "duplicate", "session", "screen"].includes(event.name)) refresh();
};

refresh();
