// vis3d nodes: one point sprite per node, shaded as a sphere in nodes.frag.
// Per node: position (world), size (world-units diameter), activation (0..1).
// The colour comes from a 256x1 LUT texture, looked up here once per node
// (not per fragment). $transform maps visual -> render (clip) coordinates.

uniform sampler2D u_lut;
uniform float u_px_per_unit;   // framebuffer pixels per world unit at clip w = 1
uniform vec4 u_highlight;      // xyz: highlighted node's position, w: 1 if any
uniform float u_min_px;        // smallest sprite diameter in pixels

attribute vec4 a_node;         // xyz: position, w: size (one stream: cheaper vertex fetch)
attribute float a_activation;

varying vec4 v_color;          // rgb: LUT colour, a: 1 for the highlighted node

void main(void) {
    vec3 a_position = a_node.xyz;
    float a_size = a_node.w;
    if (a_size <= 0.0) {       // hidden: outside the clip volume, nothing rasterised
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        gl_PointSize = 0.0;
        v_color = vec4(0.0);
        return;
    }
    vec4 clip = $transform(vec4(a_position, 1.0));
    // 255/256 scale + half-texel offset: 0 and 1 hit the first and last texel centres
    vec3 rgb = texture2D(u_lut, vec2(a_activation * 0.99609375 + 0.001953125, 0.5)).rgb;
    vec3 d = a_position - u_highlight.xyz;
    float hl = (u_highlight.w > 0.5 && dot(d, d) < 1e-10) ? 1.0 : 0.0;
    float px = a_size * u_px_per_unit / clip.w;
    gl_PointSize = max(px * (1.0 + 0.6 * hl), u_min_px);
    gl_Position = clip;
    v_color = vec4(rgb, hl);
}
