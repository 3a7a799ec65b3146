// Each counter keeps its own `count`: a closure captures the variable, not its value.
function makeCounter() {
  let count = 0;
  return () => ++count;
}

const a = makeCounter();
const b = makeCounter();
console.log(a(), a(), b());
