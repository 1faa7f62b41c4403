// vis3d nodes: sphere impostor on a point sprite. Opaque, no blending, no
// gl_FragDepth (keeps early depth testing). Light is fixed to the viewer
// (upper left, in front), so a node's shading does not depend on the camera.

varying vec4 v_color;

void main(void) {
    vec2 p = gl_PointCoord * 2.0 - 1.0;   // -1..1 across the sprite, y down
    float r2 = dot(p, p);
    if (r2 > 1.0)
        discard;
    vec3 n = vec3(p.x, -p.y, sqrt(1.0 - r2));
    // light direction normalize(-0.45, 0.5, 0.74); half vector with the view (0, 0, 1)
    float diff = max(dot(n, vec3(-0.45, 0.5, 0.74)), 0.0);
    float s = max(dot(n, vec3(-0.241, 0.268, 0.933)), 0.0);
    s *= s; s *= s; s *= s; s *= s;       // ^16 without pow()
    vec3 rgb = v_color.rgb * (0.22 + 0.85 * diff) + 0.35 * s;
    if (v_color.a > 0.5 && r2 > 0.62)     // highlighted node: a white rim
        rgb = vec3(1.0);
    gl_FragColor = vec4(rgb, 1.0);
}
