// A square grid of same-sized grayscale images (count × height × width bytes) as one image, for a
// quick look at a task's inputs (TensorBoard's image tab).

export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** The first `count` images (at most as many as there are) in rows of ceil(sqrt(count)), left to right. */
export function tileImages(images: Uint8Array, height: number, width: number, count: number): GrayImage {
  const n = Math.max(1, Math.min(count, Math.floor(images.length / (height * width))));
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const out = { width: cols * width, height: rows * height, pixels: new Uint8Array(rows * height * cols * width) };
  for (let k = 0; k < n; k++) {
    const ox = (k % cols) * width;
    const oy = Math.floor(k / cols) * height;
    for (let y = 0; y < height; y++) {
      const src = (k * height + y) * width;
      out.pixels.set(images.subarray(src, src + width), (oy + y) * out.width + ox);
    }
  }
  return out;
}
