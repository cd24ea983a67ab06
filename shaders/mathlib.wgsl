// Float helpers for the unary/binary kernels: WGSL leaves log/sqrt/pow of out-of-domain arguments
// indeterminate and its exp-based builtins lose precision near 0, so these pin down PyTorch's
// values (NaN outside the domain, +-inf at poles) and use cancellation-free forms.
fn log_(x: f32) -> f32 {
  if (x < 0.0) { return f32_nan(); }
  if (x == 0.0) { return -f32_inf(); }
  return log(x);
}
fn log2_(x: f32) -> f32 {
  if (x < 0.0) { return f32_nan(); }
  if (x == 0.0) { return -f32_inf(); }
  return log2(x);
}
fn sqrt_(x: f32) -> f32 { if (x < 0.0) { return f32_nan(); } return sqrt(x); }
// Kahan's tricks: the rounding error of u = exp(x) (or 1 + x) cancels in the ratio.
fn expm1_(x: f32) -> f32 {
  if (x > 88.7) { return f32_inf(); }
  let u = exp(x);
  if (u == 1.0) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  return um1 * x / log(u);
}
fn log1p_(x: f32) -> f32 {
  if (x < -1.0) { return f32_nan(); }
  if (x == -1.0) { return -f32_inf(); }
  if (f32_isinf(x)) { return x; }
  let u = 1.0 + x;
  if (u == 1.0) { return x; }
  return log(u) * x / (u - 1.0);
}
// sign(NaN) = 0, as PyTorch ((0 < x) - (x < 0)).
fn sgn_(x: f32) -> f32 { return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }
fn sinh_(x: f32) -> f32 {
  let a = abs(x);
  if (a > 88.0) { return sgn_(x) * f32_inf(); }
  let e = expm1_(a);
  return sgn_(x) * 0.5 * (e + e / (e + 1.0));
}
fn cosh_(x: f32) -> f32 {
  let a = abs(x);
  if (a > 88.0) { return f32_inf(); }
  let e = exp(a);
  return 0.5 * (e + 1.0 / e);
}
fn tanh_(x: f32) -> f32 {
  if (abs(x) > 10.0) { return sgn_(x); }
  let e = expm1_(2.0 * x);
  return e / (e + 2.0);
}
fn asinh_(x: f32) -> f32 {
  let a = abs(x);
  if (a > 1e4) { return sgn_(x) * (log(a) + 0.6931471805599453); }
  return sgn_(x) * log1p_(a + a * a / (1.0 + sqrt(1.0 + a * a)));
}
fn acosh_(x: f32) -> f32 {
  if (x < 1.0) { return f32_nan(); }
  if (x > 1e4) { return log(x) + 0.6931471805599453; }
  let t = x - 1.0;
  return log1p_(t + sqrt(t * (t + 2.0)));
}
fn atanh_(x: f32) -> f32 {
  let a = abs(x);
  if (a > 1.0) { return f32_nan(); }
  if (a == 1.0) { return sgn_(x) * f32_inf(); }
  return sgn_(x) * 0.5 * log1p_(2.0 * a / (1.0 - a));
}
// Through atan2: some implementations' acos/asin builtins are off by ~1e-4 (SwiftShader: acos(0)).
fn asin_(x: f32) -> f32 {
  if (abs(x) > 1.0) { return f32_nan(); }
  if (x == 0.0) { return x; } // keeps -0 (SwiftShader's atan2(-0, 1) gave pi)
  return atan2(x, sqrt((1.0 - x) * (1.0 + x)));
}
fn acos_(x: f32) -> f32 { if (abs(x) > 1.0) { return f32_nan(); } return atan2(sqrt((1.0 - x) * (1.0 + x)), x); }
fn sigmoid_(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
// Numerical Recipes erfc fit (relative error < 1.2e-7), as in the CPU backend.
fn erf_(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(r - 1.0, 1.0 - r, x >= 0.0);
}
// exp(a) for a <= 0 as (m, n) with exp(a) = m * 2^n, m in [0.7, 1.5]: Cody-Waite reduction by ln 2
// and Cephes' expf polynomial, ~1 ulp. The builtin's bound grows with |a| (3 + 2|a| ulp), ~1e-5
// relative at exp(-81); keeping 2^n apart lets a subnormal result be rounded once, at the end.
fn exp_parts_(a: f32) -> vec2<f32> {
  let n = round(max(a, -160.0) * 1.4426950408889634);
  let r = (a - n * 0.693359375) + n * 2.12194440e-4;
  let p = (((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r + 4.1665795894e-2) * r +
    1.6666665459e-1) * r + 5.0000001201e-1) * r * r + r + 1.0;
  return vec2<f32>(p, n);
}
// erfc with Cody's rational approximations (coefficients of Netlib CALERF, as the CPU backend):
// exp(-y^2) times a rational function of y (y <= 4) or 1/y^2 (y > 4), so it keeps its relative
// accuracy down to the subnormals instead of cancelling in 1 - erf(x).
fn erfc_(x: f32) -> f32 { // NaN in -> NaN out is added by codegen's unaryExpr
  let y = abs(x);
  if (y <= 0.46875) {
    let z = y * y;
    let num = (((1.85777706184603153e-1 * z + 3.16112374387056560) * z + 1.13864154151050156e2) * z +
      3.77485237685302021e2) * z + 3.20937758913846947e3;
    let den = (((z + 2.36012909523441209e1) * z + 2.44024637934444173e2) * z + 1.28261652607737228e3) * z +
      2.84423683343917062e3;
    return 1.0 - x * num / den;
  }
  var r = 0.0; // erfc(y) * exp(y^2); erfc(y) < 2^-150 from y = 10.1
  if (y <= 4.0) {
    let num = (((((((2.15311535474403846e-8 * y + 5.64188496988670089e-1) * y + 8.88314979438837594) * y +
      6.61191906371416295e1) * y + 2.98635138197400131e2) * y + 8.81952221241769090e2) * y +
      1.71204761263407058e3) * y + 2.05107837782607147e3) * y + 1.23033935479799725e3;
    let den = (((((((y + 1.57449261107098347e1) * y + 1.17693950891312499e2) * y + 5.37181101862009858e2) * y +
      1.62138957456669019e3) * y + 3.29079923573345963e3) * y + 4.36261909014324716e3) * y +
      3.43936767414372164e3) * y + 1.23033935480374942e3;
    r = num / den;
  } else if (y < 10.1) {
    let z = 1.0 / (y * y);
    let num = ((((1.63153871373020978e-2 * z + 3.05326634961232344e-1) * z + 3.60344899949804439e-1) * z +
      1.25781726111229246e-1) * z + 1.60837851487422766e-2) * z + 6.58749161529837803e-4;
    let den = ((((z + 2.56852019228982242) * z + 1.87295284992346047) * z + 5.27905102951428412e-1) * z +
      6.05183413124413191e-2) * z + 2.33520497626869185e-3;
    r = (0.56418958354775628695 - z * num / den) / y;
  }
  if (r != 0.0) {
    // exp(-y^2) = exp(-h^2) exp(-(y-h)(y+h)), h = y to 1/16: h^2 is exact, the rounding of y*y never enters.
    let h = trunc(y * 16.0) / 16.0;
    let e = exp_parts_(-h * h);
    r = ldexp(e.x * exp(-(y - h) * (y + h)) * r, i32(e.y));
  }
  return select(r, 2.0 - r, x < 0.0);
}
// Giles' single-precision erfinv, refined by two Newton steps on erf_.
fn erfinv_(y: f32) -> f32 {
  if (y <= -1.0) { return select(f32_nan(), -f32_inf(), y == -1.0); }
  if (y >= 1.0) { return select(f32_nan(), f32_inf(), y == 1.0); }
  var w = -log((1.0 - y) * (1.0 + y));
  var p: f32;
  if (w < 5.0) {
    w = w - 2.5;
    p = 2.81022636e-08; p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w; p = -0.00125372503 + p * w; p = -0.00417768164 + p * w; p = 0.246640727 + p * w; p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257; p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w; p = -0.0076224613 + p * w; p = 0.00943887047 + p * w; p = 1.00167406 + p * w; p = 2.83297682 + p * w;
  }
  var x = p * y;
  for (var i = 0; i < 2; i = i + 1) { x = x - (erf_(x) - y) / (1.1283791670955126 * exp(-x * x)); }
  return x;
}
fn is_int_(x: f32) -> bool { return !f32_isinf(x) && floor(x) == x; }
// pow with C/PyTorch semantics for negative bases, zero and infinities.
fn pow_(x: f32, y: f32) -> f32 {
  if (y == 0.0 || x == 1.0) { return 1.0; }
  if (f32_isnan(x) || f32_isnan(y)) { return f32_nan(); }
  // Small integer powers by multiplication, as PyTorch's CPU kernels: exp2(y * log2(x)) is a few ulps off.
  if (y == 1.0) { return x; }
  if (y == 2.0) { return x * x; }
  if (y == 3.0) { return x * x * x; }
  if (y == 0.5 && x > 0.0) { return sqrt(x); }
  let oddInt = is_int_(y) && abs(y) < 16777216.0 && (i32(y) & 1) == 1;
  if (x == 0.0) {
    if (y > 0.0) { return select(0.0, x, oddInt); }
    return select(f32_inf(), sgn_(1.0 / x) * f32_inf(), oddInt);
  }
  if (f32_isinf(y)) {
    let a = abs(x);
    if (a == 1.0) { return 1.0; }
    return select(0.0, f32_inf(), (a > 1.0) == (y > 0.0));
  }
  if (x < 0.0) {
    if (!is_int_(y)) { return f32_nan(); }
    let m = exp2(y * log2(-x));
    return select(m, -m, oddInt);
  }
  return exp2(y * log2(x));
}
fn fmod_(x: f32, y: f32) -> f32 {
  if (y == 0.0 || f32_isinf(x) || f32_isnan(y)) { return f32_nan(); }
  if (f32_isinf(y)) { return x; }
  return x - trunc(x / y) * y;
}
fn remainder_(x: f32, y: f32) -> f32 {
  var r = fmod_(x, y);
  if (r != 0.0 && ((r < 0.0) != (y < 0.0))) { r = r + y; }
  return r;
}
fn maximum_(x: f32, y: f32) -> f32 { if (f32_isnan(x) || f32_isnan(y)) { return f32_nan(); } return max(x, y); }
fn minimum_(x: f32, y: f32) -> f32 { if (f32_isnan(x) || f32_isnan(y)) { return f32_nan(); } return min(x, y); }
// Integer helpers: floor division and Python-style remainder; ipow by squaring (wrapping like C).
fn ifloordiv_(x: i32, y: i32) -> i32 {
  if (y == 0) { return 0; }
  var q = x / y;
  if (x % y != 0 && ((x < 0) != (y < 0))) { q = q - 1; }
  return q;
}
fn iremainder_(x: i32, y: i32) -> i32 {
  if (y == 0) { return 0; }
  var r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) { r = r + y; }
  return r;
}
fn ipow_(x: i32, y: i32) -> i32 {
  var r = 1;
  var b = x;
  var e = y;
  if (e < 0) { return 0; }
  loop {
    if (e <= 0) { break; }
    if ((e & 1) == 1) { r = r * b; }
    b = b * b;
    e = e >> 1u;
  }
  return r;
}
// sin/cos with our own Cody-Waite reduction by pi/2 (3-part constant) and Cephes minimax
// polynomials: some drivers (SwiftShader) are off by ~1e-4 with the builtins.
fn sincos_(x: f32) -> vec2<f32> {
  let k = round(x * 0.6366197723675814);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * (-1.9515295891e-4)));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  let q = i32(k) & 3;
  var sc = vec2<f32>(s, c);
  if (q == 1) { sc = vec2<f32>(c, -s); } else if (q == 2) { sc = vec2<f32>(-s, -c); } else if (q == 3) { sc = vec2<f32>(-c, s); }
  if (f32_isinf(x) || f32_isnan(x)) { return vec2<f32>(f32_nan(), f32_nan()); }
  return sc;
}
fn sin_(x: f32) -> f32 { return sincos_(x).x; }
fn cos_(x: f32) -> f32 { return sincos_(x).y; }
fn tan_(x: f32) -> f32 { let v = sincos_(x); return v.x / v.y; }
// A zero only known at run time (kernels set it from their metadata): OR-ing a float32 step's bits
// with it makes the compiler round the step to f32 as a store would, so no multiply-add is contracted
// across steps that are separate kernels in the composed path (fused programs, Adam, epilogues).
var<private> fz: u32;
fn pin(v: f32) -> f32 { return bitcast<f32>(bitcast<u32>(v) | fz); }
