// A plain-data dataset for the DataLoader worker test: item i is { x: [i, 2i], y: i % 3 }.
export class SquaresDataset {
  constructor(n) { this.n = n; }
  getItem(i) { return { x: new Float32Array([i, 2 * i]), y: i % 3 }; }
  length() { return this.n; }
}
