#!/usr/bin/env python3
# Fits the coefficients of the CPU backend's SIMD erf (wasm/elementwise.ts erfv, mirrored by
# src/backends/wasm/fusedgen.ts erfv) and checks the float32 evaluation over every float32 in [0, 4).
# Needs numpy only. `python3 scripts/erf-fit.py` prints the coefficients (float32 values as exact
# float64 literals); `python3 scripts/erf-fit.py --check` also runs the exhaustive check (~8 min).
# Form: |x| < 0.9: x + x*T(x^2), T of degree 6 fitting erf(x)/x - 1 (minimax, absolute);
# 0.9 <= |x| < 3.919206: 1 - P(u)/Q(u), u = |x| - 0.9, a degree-6/6 rational fitting erfc
# (minimax, absolute; Loeb's linearisation with Lawson's weights); 1 beyond (erf rounds to 1 there).
# The float64 reference is Cody's erf (as src/backends/wasm/math.ts), vectorised.
import sys, warnings, time
import numpy as np
warnings.filterwarnings('ignore')
A=[3.16112374387056560,1.13864154151050156e2,3.77485237685302021e2,3.20937758913846947e3,1.85777706184603153e-1]
B=[2.36012909523441209e1,2.44024637934444173e2,1.28261652607737228e3,2.84423683343917062e3]
C=[5.64188496988670089e-1,8.88314979438837594,6.61191906371416295e1,2.98635138197400131e2,8.81952221241769090e2,
  1.71204761263407058e3,2.05107837782607147e3,1.23033935479799725e3,2.15311535474403846e-8]
D=[1.57449261107098347e1,1.17693950891312499e2,5.37181101862009858e2,1.62138957456669019e3,3.29079923573345963e3,
  4.36261909014324716e3,3.43936767414372164e3,1.23033935480374942e3]
P=[3.05326634961232344e-1,3.60344899949804439e-1,1.25781726111229246e-1,1.60837851487422766e-2,6.58749161529837803e-4,1.63153871373020978e-2]
Q=[2.56852019228982242,1.87295284992346047,5.27905102951428412e-1,6.05183413124413191e-2,2.33520497626869185e-3]
def erf64(x):
    x=np.asarray(x,dtype=np.float64); y=np.abs(x); out=np.empty_like(x)
    z=x*x; num=A[4]*z; den=z.copy()
    for i in range(3): num=(num+A[i])*z; den=(den+B[i])*z
    small=x*(num+A[3])/(den+B[3])
    yy=np.minimum(y,27.0)
    num=C[8]*yy; den=yy.copy()
    for i in range(7): num=(num+C[i])*yy; den=(den+D[i])*yy
    r1=(num+C[7])/(den+D[7])
    zz=1/(np.maximum(yy,1e-300)**2); num=P[5]*zz; den=zz.copy()
    for i in range(4): num=(num+P[i])*zz; den=(den+Q[i])*zz
    r2=(0.56418958354775628695-zz*(num+P[4])/(den+Q[4]))/np.maximum(yy,1e-300)
    r=np.where(yy<=4,r1,r2)
    h=np.trunc(yy*16)/16
    with np.errstate(over='ignore',under='ignore'):
        ec=np.exp(-h*h)*np.exp(-(yy-h)*(yy+h))*r
    big=np.sign(x)*(1-ec)
    out=np.where(y<=0.46875,small,big)
    out=np.where(y>=27.0,np.sign(x),out)
    return np.where(np.isnan(x),np.nan,out)

def ratfit(t, f, scale, npd, nqd, iters=60):
    """minimax fit of f(t) ~ P(t)/Q(t) (Q[0]=1), error weighted by 1/scale; Loeb+Lawson iterations."""
    s=t.max()
    u=t/s
    Vp=np.vander(u,npd+1,increasing=True); Vq=np.vander(u,nqd+1,increasing=True)[:,1:]
    L=np.ones_like(t)/len(t); Qp=np.ones_like(t)
    best=None
    for it in range(iters):
        W=np.sqrt(L)/(Qp*scale)
        M=np.hstack([Vp, -f[:,None]*Vq])*W[:,None]
        sol,*_=np.linalg.lstsq(M,f*W,rcond=None)
        p=sol[:npd+1]; q=np.concatenate([[1.0],sol[npd+1:]])
        Qv=np.vander(u,nqd+1,increasing=True)@q; Pv=Vp@p
        err=(Pv/Qv-f)/scale
        me=np.max(np.abs(err))
        if best is None or me<best[0]: best=(me,p.copy(),q.copy())
        Qp=np.abs(Qv)
        L=L*np.abs(err); L/=L.sum()
    me,p,q=best
    # unscale: coefficient of t^k = p_k / s^k
    return me, p/s**np.arange(npd+1), q/s**np.arange(nqd+1)

f32 = np.float32
X0 = f32(0.9); X1 = f32(3.919206)  # the pieces' breakpoint; erf rounds to 1 from X1 on

def fit():
    x = np.linspace(float(X0), 3.9193, 60001); f = 1 - erf64(x)
    me, p, q = ratfit(x - float(X0), f, np.ones_like(f), 6, 6, iters=200)
    xs = np.linspace(0, float(X0), 40001)[1:]; T = erf64(xs) / xs - 1
    V = np.vander(xs * xs, 7, increasing=True); L = np.ones_like(xs); best = None
    for it in range(200):
        W = np.sqrt(L); s, *_ = np.linalg.lstsq(V * W[:, None], T * W, rcond=None); e = V @ s - T
        L *= np.abs(e); L /= L.sum()
        if best is None or np.max(np.abs(e)) < best[0]: best = (np.max(np.abs(e)), s)
    print('fit: erfc rational max abs error', me, '; T polynomial max abs error', best[0])
    return best[1].astype(f32), p.astype(f32), q.astype(f32)

def ev(x, tf, pf, qf):
    """The kernel's float32 operations in its order (no FMA)."""
    ax = np.abs(x); z = ax * ax
    t = np.full_like(ax, tf[-1])
    for c in tf[-2::-1]: t = t * z + c
    small = ax + ax * t
    u = ax - X0
    p = np.full_like(ax, pf[-1])
    for c in pf[-2::-1]: p = p * u + c
    q = np.full_like(ax, qf[-1])
    for c in qf[-2::-1]: q = q * u + c
    big = f32(1) - p / q
    r = np.where(ax < X0, small, big); r = np.where(ax >= X1, f32(1), r)
    r = (r.view(np.uint32) | (x.view(np.uint32) & np.uint32(0x80000000))).view(f32)
    return np.where(x != x, x, r)

def ulp32(v):
    e = np.frexp(np.maximum(np.abs(v), 2.0 ** -126))[1]
    return np.ldexp(1.0, e - 24)

if __name__ == '__main__':
    tf, pf, qf = fit()
    assert qf[0] == 1
    for name, c in (('T', tf), ('P', pf), ('Q', qf)): print(name, ', '.join(repr(float(v)) for v in c))
    if '--check' in sys.argv:
        N = int(f32(4).view(np.int32)); step = 1 << 23; mu = ma = 0.0; wu = None; cnt = 0; t0 = time.time()
        for s in range(0, N, step):
            x = np.arange(s, min(N, s + step), dtype=np.int32).view(f32)
            r = ev(x, tf, pf, qf).astype(np.float64); ref = erf64(x.astype(np.float64)); d = np.abs(r - ref); u = d / ulp32(ref)
            i = np.argmax(u)
            if u[i] > mu: mu = u[i]; wu = float(x[i])
            ma = max(ma, d.max()); cnt += np.count_nonzero(u > 1)
        print(f'all {N} float32 in [0, 4): max {mu:.4f} ulp at {wu}, max abs {ma:.3g}, {cnt} above 1 ulp ({time.time() - t0:.0f} s)')
