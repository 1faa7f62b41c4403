// vis3d far maps: every fragment finds the node sprite that nodes.vert/nodes.frag would
// have drawn over this pixel and shades it the same way, so a map switches between
// quad and points without a visible jump. The node's screen position comes from the
// cell-space derivatives (dFdx/dFdy): J maps window pixels to cells, J^-1 cells to
// pixels. The 3x3 cells around the fragment's own are candidates; where sprites
// overlap (oblique views) the nearest (smallest clip w) wins, like the depth test.
// Activations: one float per node in an r32f atlas, node k at texel (k mod W, k div W).
//
// Far off, cells shrink below a pixel and one sprite per pixel aliases (moire). There the
// fragment shows what the eye would: the mean colour of the cells under the pixel, from
// the tile's colour pyramid sampled trilinearly at the pixel's footprint in cells (level
// 0: the cells themselves; levels 1 and up: vis3d.gl.map_colours), shaded as the mean
// over a sprite's disc (u_shade), with the gaps between the sprites as transparency
// (alpha: the share of the pixel the sprites cover; premultiplied, blended over what is
// behind). Between u_fade.x and u_fade.y pixels per cell the sharp sprites fade into that
// average; above u_fade.x only sprites are drawn, as before.

uniform sampler2D u_values;
uniform vec2 u_atlas;          // atlas width, height (texels)
uniform sampler2D u_lut;
uniform float u_px_per_unit;   // as in nodes.vert
uniform float u_min_px;
uniform sampler2D u_colours;   // colour pyramids, levels 1 and up (RGBA8, premultiplied)
uniform vec2 u_colours_size;   // its width, height (texels)
uniform vec2 u_shade;          // mean over a sprite's disc of (0.22 + 0.85 diff), of 0.35 s^16
uniform vec2 u_fade;           // pixels per cell: sprites only above x, average only below y

varying vec2 v_cell;
varying float v_w;
varying vec4 v_tile;
varying float v_size;
varying vec3 v_block;          // x, y: corner of the tile's pyramid block (texels); z: its side B

vec4 cell(vec2 c, float cols, float count) {
    // Level 0: cell c's colour, alpha 1; alpha 0 outside the grid.
    float local = c.y * cols + c.x;
    if (c.x < 0.0 || c.y < 0.0 || c.x >= cols || local >= count)
        return vec4(0.0);
    float k = floor(v_tile.y + 0.5) + local;
    float row = floor((k + 0.5) / u_atlas.x);
    float col = k - row * u_atlas.x;
    float hi = floor(v_tile.x + 0.5);
    float value = texture2D(u_values, vec2((col + 0.5) / u_atlas.x, (hi + row + 0.5) / u_atlas.y)).r;
    return vec4(texture2D(u_lut, vec2(value * 0.99609375 + 0.001953125, 0.5)).rgb, 1.0);
}

vec4 level(float l) {
    // Level l of the tile's colour pyramid at this fragment, bilinear.
    if (l < 0.5) {  // the four nearest cells
        float cols = floor(v_tile.z + 0.5);
        float count = floor(v_tile.w + 0.5);
        vec2 t = v_cell - 0.5;
        vec2 c = floor(t);
        vec2 w = t - c;
        return mix(mix(cell(c, cols, count), cell(c + vec2(1.0, 0.0), cols, count), w.x),
                   mix(cell(c + vec2(0.0, 1.0), cols, count), cell(c + 1.0, cols, count), w.x), w.y);
    }
    // levels 1 and up: the atlas (vis3d.gl.map_colours), clamped inside the level
    float h = 0.5 * v_block.z;
    float scale = exp2(l);
    float s = floor(v_block.z / scale + 0.5);
    vec2 o = l < 1.5 ? v_block.xy : v_block.xy + vec2(h, h - 2.0 * s);
    vec2 t = clamp(v_cell / scale, vec2(0.5), vec2(s - 0.5));
    return texture2D(u_colours, (o + t) / u_colours_size);
}

vec4 averaged(vec2 qx, vec2 qy, float det) {
    // Premultiplied: the mean colour of the cells in the pixel's footprint, the gaps clear.
    float rho = max(max(length(qx), length(qy)), 1e-6);     // cells per pixel
    float lod = clamp(log2(rho), 0.0, log2(v_block.z));
    float l0 = floor(lod);
    vec4 c = mix(level(l0), level(min(l0 + 1.0, log2(v_block.z))), lod - l0);
    float s = v_size * u_px_per_unit / v_w;                   // sprite diameter, pixels
    float cover = min(0.785398 * s * s * abs(det), 1.0);      // disc area / cell area
    return cover * vec4(c.rgb * u_shade.x + c.a * u_shade.y, c.a);
}

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
    float px = 1.0 / max(max(length(qx), length(qy)), 1e-6);   // pixels per cell
    float f = clamp((u_fade.x - px) / (u_fade.x - u_fade.y), 0.0, 1.0);
    vec4 avg = f > 0.0 ? averaged(qx, qy, det) : vec4(0.0);
    if (f >= 1.0) {
        if (avg.a < 0.002)
            discard;
        gl_FragColor = avg;
        return;
    }
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
    if (best_c.x < 0.0) {
        if (avg.a * f < 0.002)
            discard;
        gl_FragColor = avg * f;
        return;
    }
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
    gl_FragColor = mix(vec4(rgb * (0.22 + 0.85 * diff) + 0.35 * sp, 1.0), avg, f);
}
