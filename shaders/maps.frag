// vis3d far maps: every fragment finds the node sprite that nodes.vert/nodes.frag would
// have drawn over this pixel and shades it the same way, so a map switches between
// quad and points without a visible jump. The node's screen position comes from the
// cell-space derivatives (dFdx/dFdy): J maps window pixels to cells, J^-1 cells to
// pixels. The 3x3 cells around the fragment's own are candidates; where sprites
// overlap (oblique views) the nearest (smallest clip w) wins, like the depth test.
// Activations: one float per node in an r32f atlas, node k at texel (k mod W, k div W).

uniform sampler2D u_values;
uniform vec2 u_atlas;          // atlas width, height (texels)
uniform sampler2D u_lut;
uniform float u_px_per_unit;   // as in nodes.vert
uniform float u_min_px;

varying vec2 v_cell;
varying float v_w;
varying vec4 v_tile;
varying float v_size;

void main(void) {
    float hi = floor(v_tile.x + 0.5);
    float lo = floor(v_tile.y + 0.5);
    float cols = floor(v_tile.z + 0.5);
    float count = floor(v_tile.w + 0.5);
    vec2 qx = dFdx(v_cell);
    vec2 qy = dFdy(v_cell);
    float det = qx.x * qy.y - qy.x * qx.y;
    if (abs(det) < 1e-12)
        discard;
    // J = [qx qy] (columns); J^-1 = [qy.y -qy.x; -qx.y qx.x] / det
    vec2 wgrad = vec2(dFdx(v_w), dFdy(v_w));
    vec2 base = floor(v_cell);
    float best_w = 1e30;
    vec2 best_e = vec2(0.0);
    vec2 best_c = vec2(-1.0);
    for (int j = -1; j <= 1; j++) {
        for (int i = -1; i <= 1; i++) {
            vec2 c = base + vec2(float(i), float(j));
            float local = c.y * cols + c.x;
            if (c.x >= 0.0 && c.y >= 0.0 && c.x < cols && local < count) {
                vec2 dq = c + 0.5 - v_cell;                  // to the cell centre, cells
                vec2 d = vec2(qy.y * dq.x - qy.x * dq.y,
                              -qx.y * dq.x + qx.x * dq.y) / det;  // ... in window pixels
                float wc = v_w + dot(d, wgrad);
                float s = max(v_size * u_px_per_unit / wc, u_min_px);
                vec2 e = -d / (0.5 * s);                     // fragment from centre, radii
                if (dot(e, e) <= 1.0 && wc < best_w) {
                    best_w = wc;
                    best_e = e;
                    best_c = c;
                }
            }
        }
    }
    if (best_c.x < 0.0)
        discard;
    float k = lo + best_c.y * cols + best_c.x;
    float row = floor((k + 0.5) / u_atlas.x);
    float col = k - row * u_atlas.x;
    float value = texture2D(u_values, vec2((col + 0.5) / u_atlas.x, (hi + row + 0.5) / u_atlas.y)).r;
    vec3 rgb = texture2D(u_lut, vec2(value * 0.99609375 + 0.001953125, 0.5)).rgb;
    // The shading of nodes.frag, with e as its (p.x, -p.y).
    float r2 = dot(best_e, best_e);
    vec3 n = vec3(best_e, sqrt(max(1.0 - r2, 0.0)));
    float diff = max(dot(n, vec3(-0.45, 0.5, 0.74)), 0.0);
    float sp = max(dot(n, vec3(-0.241, 0.268, 0.933)), 0.0);
    sp *= sp; sp *= sp; sp *= sp; sp *= sp;
    gl_FragColor = vec4(rgb * (0.22 + 0.85 * diff) + 0.35 * sp, 1.0);
}
